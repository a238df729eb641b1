#include "voice/speaker_encoder.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

#include "audio/mel_preset.hpp"
#include "core/error.hpp"
#include "core/safetensors.hpp"
#include "core/torch_bridge.hpp"
#include "core/weight_file.hpp"

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
  const torch::Tensor x = config_.log_input ? torch::log(torch::clamp_min(mels, 1e-5)) : mels;
  // The final hidden state of the top layer summarises the utterance.
  torch::Tensor last;
  if (!is_training() && !torch::GradMode::is_enabled()) {
    last = inference_last_hidden(x);
  } else {
    const auto [out, state] = lstm->forward(x);
    last = std::get<0>(state)[config_.layers - 1];
  }
  const torch::Tensor raw = torch::relu(linear->forward(last));
  return raw / (raw.norm(2, 1, /*keepdim=*/true) + 1e-5);
}

torch::Tensor SpeakerEncoderImpl::inference_last_hidden(const torch::Tensor& x) {
  // torch::nn::LSTM dispatches a dozen small operators per time step; for inference the input
  // projections of all steps are one matrix product per layer, and each step is one addmm, one
  // sigmoid over all four gates and one tanh. Gate order as PyTorch: input, forget, cell, output.
  // tanh(z) = 2 sigmoid(2z) - 1, so the cell gate's rows are doubled to share the sigmoid.
  const long batch = x.size(0), steps = x.size(1), hidden = config_.hidden;
  auto params = lstm->named_parameters();
  torch::Tensor seq = x.transpose(0, 1).contiguous();  // [T, B, in]: each step's rows contiguous
  torch::Tensor h;
  for (int l = 0; l < config_.layers; ++l) {
    const std::string k = std::to_string(l);
    const torch::Tensor scale = torch::ones({4 * hidden, 1});
    scale.narrow(0, 2 * hidden, hidden).fill_(2.0);
    const torch::Tensor w_ih = params["weight_ih_l" + k] * scale, w_hh = params["weight_hh_l" + k] * scale;
    const torch::Tensor bias = (params["bias_ih_l" + k] + params["bias_hh_l" + k]) * scale.squeeze(1);
    const torch::Tensor xw =
        torch::addmm(bias, seq.reshape({steps * batch, seq.size(2)}), w_ih.t()).view({steps, batch, 4 * hidden});
    const torch::Tensor w_hh_t = w_hh.t().contiguous();
    h = torch::zeros({batch, hidden});
    torch::Tensor c = torch::zeros({batch, hidden}), tanh_c = torch::empty({batch, hidden});
    torch::Tensor gates = torch::empty({batch, 4 * hidden});
    const bool keep = l + 1 < config_.layers;
    torch::Tensor out = keep ? torch::empty({steps, batch, hidden}) : torch::Tensor();
    float* hp = h.data_ptr<float>();
    float* cp = c.data_ptr<float>();
    const float* tp = tanh_c.data_ptr<float>();
    const float* gp = gates.data_ptr<float>();
    for (long t = 0; t < steps; ++t) {
      torch::addmm_out(gates, xw[t], h, w_hh_t);
      gates.sigmoid_();
      for (long b = 0; b < batch; ++b) {
        const float* g = gp + b * 4 * hidden;
        float* cb = cp + b * hidden;
        for (long j = 0; j < hidden; ++j) cb[j] = g[hidden + j] * cb[j] + g[j] * (2.0f * g[2 * hidden + j] - 1.0f);
      }
      torch::tanh_out(tanh_c, c);
      for (long b = 0; b < batch; ++b) {
        const float* g = gp + b * 4 * hidden + 3 * hidden;
        for (long j = 0; j < hidden; ++j) hp[b * hidden + j] = g[j] * tp[b * hidden + j];
      }
      if (keep) out[t].copy_(h);
    }
    if (keep) seq = out;
  }
  return h;
}

PartialWindows partial_windows(std::size_t n_samples, int frames_per_partial, double overlap, double min_coverage) {
  if (frames_per_partial < 1 || overlap < 0 || overlap >= 1 || min_coverage <= 0 || min_coverage > 1)
    throw InvalidArgument("partial windows: need frames >= 1, overlap in [0, 1), coverage in (0, 1]");
  constexpr int kSamplesPerFrame = 160;  // 10 ms at 16 kHz: the ge2e-40 hop
  const long long n_frames = static_cast<long long>(std::ceil((n_samples + 1) / double(kSamplesPerFrame)));
  const int step = std::max(1, static_cast<int>(std::lround(frames_per_partial * (1 - overlap))));
  PartialWindows w;
  w.frames_per_partial = frames_per_partial;
  const long long steps = std::max(1LL, n_frames - frames_per_partial + step + 1);
  for (long long i = 0; i < steps; i += step) w.starts.push_back(static_cast<int>(i));
  const double last = double(w.starts.back()) * kSamplesPerFrame;
  const double coverage = (double(n_samples) - last) / (double(frames_per_partial) * kSamplesPerFrame);
  if (coverage < min_coverage && w.starts.size() > 1) w.starts.pop_back();
  w.padded_samples = std::max<std::size_t>(
      n_samples, static_cast<std::size_t>(w.starts.back() + frames_per_partial) * kSamplesPerFrame);
  return w;
}

torch::Tensor embed_partials(SpeakerEncoder& encoder, const Waveform& wave16k) {
  static const MelAnalyzer analyzer(mel_preset("ge2e-40"));
  if (wave16k.rate != analyzer.preset().sample_rate)
    throw InvalidArgument("embed_utterance: needs 16000 Hz audio, got " + std::to_string(wave16k.rate) + " Hz");
  const PartialWindows w = partial_windows(wave16k.samples.size());
  Waveform padded = wave16k;
  padded.samples.resize(w.padded_samples, 0.0f);
  const FeatureMatrix mel = analyzer.compute(padded);  // [40, T]
  torch::NoGradGuard no_grad;
  // [40, T] -> [T, 40], then one [frames, 40] slice per window.
  const torch::Tensor frames =
      torch::from_blob(const_cast<float*>(mel.data.data()), {mel.rows, mel.cols}, torch::kFloat).t();
  std::vector<torch::Tensor> batch;
  for (int start : w.starts) batch.push_back(frames.narrow(0, start, w.frames_per_partial));
  return encoder->forward(torch::stack(batch));  // `mel` outlives this use
}

torch::Tensor embed_utterance(SpeakerEncoder& encoder, const Waveform& wave16k) {
  const torch::Tensor mean = embed_partials(encoder, wave16k).mean(0);
  return mean / mean.norm();
}

LoadedEncoder load_speaker_encoder(const std::string& path) {
  const TensorDict weights = load_weight_file(path);
  for (const char* name : {"lstm.weight_ih_l0", "linear.weight"})
    if (!weights.find(name)) throw FormatError(path + ": not a speaker encoder: missing tensor '" + name + "'");
  const HostTensor& ih0 = weights.at("lstm.weight_ih_l0");
  const HostTensor& lin = weights.at("linear.weight");
  if (ih0.shape.size() != 2 || lin.shape.size() != 2 || ih0.shape[0] % 4 != 0)
    throw FormatError(path + ": 'lstm.weight_ih_l0' or 'linear.weight' is not a matrix of LSTM shape");
  SpeakerEncoderConfig config;
  config.n_mels = static_cast<int>(ih0.shape[1]);
  config.hidden = static_cast<int>(ih0.shape[0] / 4);
  config.embedding = static_cast<int>(lin.shape[0]);
  config.layers = 0;
  while (weights.find("lstm.weight_ih_l" + std::to_string(config.layers))) ++config.layers;
  LoadedEncoder out;
  out.source = path;
  out.metadata = load_weight_metadata(path);
  if (const auto cfg = out.metadata.find("dubkit.config"); cfg != out.metadata.end()) {
    const auto j = nlohmann::json::parse(cfg->second, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || (j.contains("log_input") && !j["log_input"].is_boolean()))
      throw FormatError(path + ": metadata dubkit.config is not a JSON object with a boolean log_input");
    config.log_input = j.value("log_input", false);
  }
  out.model = SpeakerEncoder(config);
  load_weights(*out.model, weights, path);
  out.model->eval();
  const auto it = out.metadata.find("dubkit.threshold");
  if (it != out.metadata.end()) {
    try {
      out.threshold = std::stod(it->second);
    } catch (const std::exception&) {
      throw FormatError(path + ": metadata dubkit.threshold '" + it->second + "' is not a number");
    }
  }
  return out;
}

void save_speaker_encoder(const std::string& path, SpeakerEncoder& model, std::map<std::string, std::string> metadata) {
  const SpeakerEncoderConfig& c = model->config();
  metadata["dubkit.model"] = "speaker_encoder";
  metadata["dubkit.config"] = nlohmann::json{{"n_mels", c.n_mels}, {"hidden", c.hidden}, {"layers", c.layers},
                                             {"embedding", c.embedding}, {"log_input", c.log_input}}.dump();
  write_safetensors(path, module_weights(*model), metadata);
}

}  // namespace dubkit
