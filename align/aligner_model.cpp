#include "align/aligner_model.hpp"

#include <nlohmann/json.hpp>

#include "align/phone_classes.hpp"
#include "audio/mel_preset.hpp"
#include "core/error.hpp"
#include "core/safetensors.hpp"
#include "core/torch_bridge.hpp"
#include "core/weight_file.hpp"

namespace dubkit {

void AlignerModelConfig::validate() const {
  auto need = [](bool ok, const std::string& field, double v) {
    if (!ok) throw InvalidArgument("aligner config: " + field + " = " + std::to_string(v) + " is out of range");
  };
  // Upper bounds keep a hostile file's config from allocating absurd tensors before any weight
  // shape is checked.
  constexpr int kMax = 4096;
  need(n_mels >= 1 && n_mels <= kMax, "n_mels", n_mels);
  need(channels >= 1 && channels <= kMax, "channels", channels);
  need(conv_layers >= 1 && conv_layers <= 32, "conv_layers", conv_layers);
  need(kernel >= 1 && kernel <= 63 && kernel % 2 == 1, "kernel (odd)", kernel);
  need(lstm_hidden >= 0 && lstm_hidden <= kMax, "lstm_hidden", lstm_hidden);
  need(n_classes >= 0 && n_classes <= kMax, "n_classes", n_classes);
  need(dropout >= 0 && dropout < 1, "dropout", dropout);
}

std::string AlignerModelConfig::to_json() const {
  return nlohmann::json{{"n_mels", n_mels},           {"channels", channels},       {"conv_layers", conv_layers},
                        {"kernel", kernel},           {"lstm_hidden", lstm_hidden}, {"n_classes", n_classes},
                        {"dropout", dropout}}
      .dump();
}

AlignerModelConfig AlignerModelConfig::from_json(const std::string& json, const std::string& source) {
  const auto j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) throw FormatError(source + ": aligner config is not a JSON object");
  AlignerModelConfig c;
  auto get_int = [&](const char* key, int& field) {
    if (!j.contains(key)) return;
    if (!j[key].is_number_integer() || j[key].get<long long>() < -1000000 || j[key].get<long long>() > 1000000)
      throw FormatError(source + ": aligner config field '" + key + "' is not an integer of sensible size");
    field = static_cast<int>(j[key].get<long long>());
  };
  get_int("n_mels", c.n_mels);
  get_int("channels", c.channels);
  get_int("conv_layers", c.conv_layers);
  get_int("kernel", c.kernel);
  get_int("lstm_hidden", c.lstm_hidden);
  get_int("n_classes", c.n_classes);
  if (j.contains("dropout")) {
    if (!j["dropout"].is_number()) throw FormatError(source + ": aligner config field 'dropout' is not a number");
    c.dropout = j["dropout"].get<double>();
  }
  try {
    c.validate();
  } catch (const InvalidArgument& e) {
    throw FormatError(source + ": " + e.what());
  }
  return c;
}

AlignerNetImpl::AlignerNetImpl(AlignerModelConfig config) : config_(config) {
  if (config_.n_classes == 0) config_.n_classes = phone_class_count();
  config_.validate();
  convs = register_module("convs", torch::nn::ModuleList());
  norms = register_module("norms", torch::nn::ModuleList());
  for (int i = 0; i < config_.conv_layers; ++i) {
    const int in = i == 0 ? config_.n_mels : config_.channels;
    convs->push_back(torch::nn::Conv1d(torch::nn::Conv1dOptions(in, config_.channels, config_.kernel).padding(config_.kernel / 2)));
    norms->push_back(torch::nn::LayerNorm(torch::nn::LayerNormOptions({config_.channels})));
  }
  int width = config_.channels;
  if (config_.lstm_hidden > 0) {
    lstm = register_module("lstm", torch::nn::LSTM(torch::nn::LSTMOptions(config_.channels, config_.lstm_hidden)
                                                       .batch_first(true)
                                                       .bidirectional(true)));
    width = 2 * config_.lstm_hidden;
  }
  output = register_module("output", torch::nn::Linear(width, config_.n_classes));
  log_prior_ = register_buffer("log_prior", torch::zeros({config_.n_classes}));
}

torch::Tensor AlignerNetImpl::forward(const torch::Tensor& features) {
  if (features.dim() != 3 || features.size(2) != config_.n_mels || features.size(1) < 1)
    throw InvalidArgument("aligner: expected features [batch, frames >= 1, " + std::to_string(config_.n_mels) + "], got " +
                          shape_string(features.sizes().vec()));
  torch::Tensor x = features;  // [B, T, C]
  for (std::size_t i = 0; i < convs->size(); ++i) {
    x = convs[i]->as<torch::nn::Conv1d>()->forward(x.transpose(1, 2).contiguous()).transpose(1, 2).contiguous();
    // ReLU, not GELU: this LibTorch's (1.13) gelu backward returns garbage when its incoming
    // gradient is not contiguous, as it is here (the next layer reads the transpose).
    x = torch::relu(norms[i]->as<torch::nn::LayerNorm>()->forward(x));
    x = torch::dropout(x, config_.dropout, is_training());
  }
  if (lstm) x = std::get<0>(lstm->forward(x));
  return torch::log_softmax(output->forward(x), -1);
}

void AlignerNetImpl::set_log_prior(const torch::Tensor& log_prior) {
  if (log_prior.dim() != 1 || log_prior.size(0) != config_.n_classes)
    throw InvalidArgument("aligner: log prior of shape " + shape_string(log_prior.sizes().vec()) + ", expected [" +
                          std::to_string(config_.n_classes) + "]");
  torch::NoGradGuard no_grad;
  log_prior_.copy_(log_prior.to(torch::kFloat));
}

torch::Tensor aligner_features(const Waveform& wave) {
  static const MelAnalyzer analyzer(mel_preset("ge2e-40"));
  if (wave.rate != kAlignerSampleRate)
    throw InvalidArgument("aligner: needs 16000 Hz audio, got " + std::to_string(wave.rate) + " Hz (resample first)");
  const FeatureMatrix m = analyzer.compute(wave);  // [40, T] power mels
  torch::Tensor x = torch::from_blob(const_cast<float*>(m.data.data()), {m.rows, m.cols}, torch::kFloat).t();
  x = torch::log(torch::clamp_min(x, 1e-5));  // a copy: `m` may go
  // The floor on the deviation keeps a near-constant band (digital silence) from being blown up.
  const torch::Tensor mean = x.mean({0}, /*keepdim=*/true);
  const torch::Tensor dev = x.std({0}, /*unbiased=*/false, /*keepdim=*/true).clamp_min(0.05);
  return ((x - mean) / dev).contiguous();
}

LoadedAlignerModel load_aligner_model(const std::string& path) {
  const TensorDict weights = load_weight_file(path);
  LoadedAlignerModel out;
  out.source = path;
  out.metadata = load_weight_metadata(path);
  auto meta = [&](const char* key) -> const std::string& {
    const auto it = out.metadata.find(key);
    if (it == out.metadata.end()) throw FormatError(path + ": not a dubkit aligner: metadata '" + key + "' is missing");
    return it->second;
  };
  if (meta("dubkit.model") != "aligner")
    throw FormatError(path + ": metadata dubkit.model is '" + meta("dubkit.model") + "', expected 'aligner'");
  const AlignerModelConfig config = AlignerModelConfig::from_json(meta("dubkit.config"), path);
  const auto classes = nlohmann::json::parse(meta("dubkit.classes"), nullptr, false);
  if (!classes.is_array() || classes != nlohmann::json(phone_class_names()))
    throw FormatError(path + ": trained on another phone class inventory (" +
                      std::to_string(classes.is_array() ? classes.size() : 0) + " classes) than this build's (" +
                      std::to_string(phone_class_count()) + "); retrain it");
  if (config.n_classes != phone_class_count())
    throw FormatError(path + ": config n_classes " + std::to_string(config.n_classes) + " differs from its class list");
  out.model = AlignerNet(config);
  load_weights(*out.model, weights, path);
  out.model->eval();
  return out;
}

void save_aligner_model(const std::string& path, AlignerNet& model, std::map<std::string, std::string> metadata) {
  metadata["dubkit.model"] = "aligner";
  metadata["dubkit.config"] = model->config().to_json();
  metadata["dubkit.classes"] = nlohmann::json(phone_class_names()).dump();
  metadata["dubkit.features"] = "ge2e-40, ln(max(mel, 1e-5)), per-utterance mean/variance normalised";
  write_safetensors(path, module_weights(*model), metadata);
}

}  // namespace dubkit
