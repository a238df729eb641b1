#include "synth/speaker_adapter.hpp"

#include "core/error.hpp"

namespace dubkit {

SpeakerAdapterImpl::SpeakerAdapterImpl(const std::vector<float>& e, int decoder_lstm, int n_mels) {
  if (e.empty() || decoder_lstm < 1 || n_mels < 1)
    throw InvalidArgument("speaker adapter: empty embedding or sizes (" + std::to_string(decoder_lstm) + ", " +
                          std::to_string(n_mels) + ")");
  embedding = register_parameter("embedding", torch::tensor(e));
  decoder_scale = register_parameter("decoder_scale", torch::zeros({decoder_lstm}));
  decoder_shift = register_parameter("decoder_shift", torch::zeros({decoder_lstm}));
  mel_scale = register_parameter("mel_scale", torch::zeros({n_mels}));
  mel_shift = register_parameter("mel_shift", torch::zeros({n_mels}));
  duration_shift = register_parameter("duration_shift", torch::zeros({1}));
}

torch::Tensor SpeakerAdapterImpl::speaker() const { return embedding / embedding.norm().clamp_min(1e-8); }

torch::Tensor SpeakerAdapterImpl::decoder(const torch::Tensor& h) const { return h * (1 + decoder_scale) + decoder_shift; }

torch::Tensor SpeakerAdapterImpl::mel(const torch::Tensor& frames) const {
  const long bands = mel_scale.size(0), last = frames.size(-1);
  if (last % bands != 0)
    throw InvalidArgument("speaker adapter: frames of " + std::to_string(last) + " values are not whole " +
                          std::to_string(bands) + "-band mels");
  const long r = last / bands;
  return frames * (1 + mel_scale.repeat({r})) + mel_shift.repeat({r});
}

long SpeakerAdapterImpl::parameter_count() const {
  long n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

std::map<std::string, std::vector<float>> SpeakerAdapterImpl::values() const {
  std::map<std::string, std::vector<float>> out;
  for (const auto& p : named_parameters()) {
    const torch::Tensor t = p.value().detach().contiguous();
    out[p.key()] = std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
  }
  return out;
}

void SpeakerAdapterImpl::load_values(const std::map<std::string, std::vector<float>>& values, const std::string& source) {
  auto params = named_parameters();
  for (const auto& [name, v] : values)
    if (!params.contains(name)) throw FormatError(source + ": unknown speaker adapter tensor '" + name + "'");
  torch::NoGradGuard no_grad;
  for (auto& p : params) {
    const auto it = values.find(p.key());
    if (it == values.end()) throw FormatError(source + ": speaker adapter tensor '" + p.key() + "' is missing");
    if (static_cast<long>(it->second.size()) != p.value().numel())
      throw FormatError(source + ": speaker adapter tensor '" + p.key() + "' has " + std::to_string(it->second.size()) +
                        " values, expected " + std::to_string(p.value().numel()));
    p.value().copy_(torch::tensor(it->second));
  }
}

}  // namespace dubkit
