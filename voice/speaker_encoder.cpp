#include "voice/speaker_encoder.hpp"

#include "core/error.hpp"

namespace dubkit {

void SpeakerEncoderConfig::validate() const {
  auto bad = [](const std::string& field, int v) {
    throw InvalidArgument("speaker encoder config: " + field + " = " + std::to_string(v) + " must be positive");
  };
  if (n_mels <= 0) bad("n_mels", n_mels);
  if (hidden <= 0) bad("hidden", hidden);
  if (layers <= 0) bad("layers", layers);
  if (embedding <= 0) bad("embedding", embedding);
}

SpeakerEncoderImpl::SpeakerEncoderImpl(const SpeakerEncoderConfig& config) : config_(config) {
  config_.validate();
  lstm = register_module(
      "lstm", torch::nn::LSTM(torch::nn::LSTMOptions(config_.n_mels, config_.hidden).num_layers(config_.layers).batch_first(true)));
  linear = register_module("linear", torch::nn::Linear(config_.hidden, config_.embedding));
  similarity_weight = register_parameter("similarity_weight", torch::full({1}, 10.0));
  similarity_bias = register_parameter("similarity_bias", torch::full({1}, -5.0));
}

torch::Tensor SpeakerEncoderImpl::forward(const torch::Tensor& mels) {
  if (mels.dim() != 3 || mels.size(2) != config_.n_mels)
    throw InvalidArgument("speaker encoder: expected mels [batch, frames, " + std::to_string(config_.n_mels) +
                          "], got " + shape_string(mels.sizes().vec()));
  // The final hidden state of the top layer summarises the utterance.
  const auto [out, state] = lstm->forward(mels);
  const torch::Tensor last = std::get<0>(state)[config_.layers - 1];
  const torch::Tensor raw = torch::relu(linear->forward(last));
  return raw / (raw.norm(2, 1, /*keepdim=*/true) + 1e-5);
}

}  // namespace dubkit
