#include "vocoder/convnext_vocoder.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace dubkit {

void ConvNextVocoderConfig::validate() const {
  auto need = [](bool ok, const std::string& field, const std::string& why) {
    if (!ok) throw InvalidArgument("vocoder config: " + field + " " + why);
  };
  need(n_mels >= 1 && n_mels <= 512, "n_mels", std::to_string(n_mels) + " is outside 1..512");
  need(dim >= 8 && dim <= 2048, "dim", std::to_string(dim) + " is outside 8..2048");
  need(intermediate >= 8 && intermediate <= 8192, "intermediate", std::to_string(intermediate) + " is outside 8..8192");
  need(layers >= 1 && layers <= 64, "layers", std::to_string(layers) + " is outside 1..64");
  need(kernel >= 1 && kernel <= 31 && kernel % 2 == 1, "kernel", std::to_string(kernel) + " must be odd, 1..31");
  need(n_fft >= 16 && n_fft <= 8192 && n_fft % 2 == 0, "n_fft", std::to_string(n_fft) + " must be even, 16..8192");
  // At least 4 windows over every sample: with fewer, the inverse STFT divides the output's last
  // samples by the tail of a single window.
  need(hop >= 1 && 4 * hop <= n_fft, "hop", std::to_string(hop) + " must be in 1..n_fft/4");
  need(sample_rate >= 8000 && sample_rate <= 192000, "sample_rate", std::to_string(sample_rate) + " is outside 8000..192000");
}

std::string ConvNextVocoderConfig::to_json() const {
  return nlohmann::json{{"architecture", "convnext-istft"}, {"n_mels", n_mels}, {"dim", dim},
                        {"intermediate", intermediate}, {"layers", layers}, {"kernel", kernel},
                        {"n_fft", n_fft}, {"hop", hop}, {"sample_rate", sample_rate}, {"mel_preset", mel_preset}}
      .dump();
}

ConvNextVocoderConfig ConvNextVocoderConfig::from_json(const std::string& text, const std::string& source) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) throw FormatError(source + ": vocoder config is not a JSON object");
  ConvNextVocoderConfig c;
  try {
    c.n_mels = j.at("n_mels").get<int>();
    c.dim = j.at("dim").get<int>();
    c.intermediate = j.at("intermediate").get<int>();
    c.layers = j.at("layers").get<int>();
    c.kernel = j.at("kernel").get<int>();
    c.n_fft = j.at("n_fft").get<int>();
    c.hop = j.at("hop").get<int>();
    c.sample_rate = j.at("sample_rate").get<int>();
    c.mel_preset = j.at("mel_preset").get<std::string>();
    c.validate();
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(source + ": vocoder config: " + e.what());
  } catch (const InvalidArgument& e) {
    throw FormatError(source + ": " + e.what());
  }
  return c;
}

ConvNextBlockImpl::ConvNextBlockImpl(int dim, int intermediate, int kernel, double layer_scale) {
  dwconv = register_module("dwconv", torch::nn::Conv1d(torch::nn::Conv1dOptions(dim, dim, kernel).padding(kernel / 2).groups(dim)));
  norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(1e-6)));
  pwconv1 = register_module("pwconv1", torch::nn::Linear(dim, intermediate));
  pwconv2 = register_module("pwconv2", torch::nn::Linear(intermediate, dim));
  gamma = register_parameter("gamma", torch::full({dim}, layer_scale));
}

torch::Tensor ConvNextBlockImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = norm(dwconv(x).transpose(1, 2));
  y = pwconv2(torch::gelu(pwconv1(y))) * gamma;
  return x + y.transpose(1, 2);
}

ConvNextVocoderImpl::ConvNextVocoderImpl(const ConvNextVocoderConfig& config) : config_(config) {
  config_.validate();
  const int d = config_.dim;
  // Registered under "backbone"/"head" submodules so the names read as Vocos's.
  auto backbone = register_module("backbone", std::make_shared<torch::nn::Module>());
  embed = backbone->register_module("embed", torch::nn::Conv1d(torch::nn::Conv1dOptions(config_.n_mels, d, 7).padding(3)));
  norm = backbone->register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d}).eps(1e-6)));
  convnext = backbone->register_module("convnext", torch::nn::ModuleList());
  for (int i = 0; i < config_.layers; ++i)
    convnext->push_back(ConvNextBlock(d, config_.intermediate, config_.kernel, 1.0 / config_.layers));
  final_layer_norm = backbone->register_module("final_layer_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d}).eps(1e-6)));
  auto head = register_module("head", std::make_shared<torch::nn::Module>());
  out = head->register_module("out", torch::nn::Linear(d, config_.n_fft + 2));
  window = torch::hann_window(config_.n_fft);
}

torch::Tensor ConvNextVocoderImpl::forward(const torch::Tensor& mel) {
  torch::Tensor x = norm(embed(mel).transpose(1, 2)).transpose(1, 2);
  for (const auto& block : *convnext) x = block->as<ConvNextBlock>()->forward(x);
  x = out(final_layer_norm(x.transpose(1, 2))).transpose(1, 2);  // [B, n_fft + 2, T]
  const long bins = config_.n_fft / 2 + 1;
  // exp of an unbounded output overflows early in training; 100 is far above speech levels.
  const torch::Tensor magnitude = torch::exp(x.narrow(1, 0, bins)).clamp_max(1e2);
  const torch::Tensor phase = x.narrow(1, bins, bins);
  const torch::Tensor spectrum = torch::complex(magnitude * torch::cos(phase), magnitude * torch::sin(phase));
  return torch::istft(spectrum, config_.n_fft, config_.hop, config_.n_fft, window, /*center=*/true,
                      /*normalized=*/false, /*onesided=*/true, /*length=*/mel.size(2) * config_.hop);
}

}  // namespace dubkit
