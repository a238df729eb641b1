#include "synth/synthesizer.hpp"

#include <cmath>
#include <random>

#include <nlohmann/json.hpp>

#include "audio/mel_preset.hpp"
#include "core/error.hpp"
#include "core/safetensors.hpp"
#include "core/torch_bridge.hpp"
#include "core/weight_file.hpp"

namespace dubkit {

namespace F = torch::nn::functional;

namespace {

torch::nn::Sequential conv_norm(int in, int out, int kernel) {
  return torch::nn::Sequential(torch::nn::Conv1d(torch::nn::Conv1dOptions(in, out, kernel).padding(kernel / 2)),
                               torch::nn::BatchNorm1d(out));
}

// Conv1d over the middle axis of [B, N, C].
torch::Tensor conv_time(torch::nn::Conv1d& conv, const torch::Tensor& x) {
  return conv->forward(x.transpose(1, 2)).transpose(1, 2);
}

}  // namespace

torch::Tensor length_mask(const torch::Tensor& lengths, long n) {
  return torch::arange(n, lengths.options()).unsqueeze(0) < lengths.unsqueeze(1);
}

void SynthesizerConfig::validate() const {
  auto need = [](bool ok, const std::string& field, double v) {
    if (!ok) throw InvalidArgument("synthesizer config: " + field + " = " + std::to_string(v) + " is out of range");
  };
  // Upper bounds keep a hostile file's config from allocating absurd tensors before any
  // weight shape is checked.
  constexpr int kMax = 8192;
  need(n_symbols >= 2 && n_symbols <= kMax, "n_symbols", n_symbols);
  need(n_languages >= 1 && n_languages <= kMax, "n_languages", n_languages);
  for (auto [name, v] : {std::pair<const char*, int>{"n_mels", n_mels}, {"symbol_dim", symbol_dim},
                         {"encoder_lstm", encoder_lstm}, {"speaker_dim", speaker_dim}, {"language_dim", language_dim},
                         {"duration_channels", duration_channels}, {"prenet", prenet}, {"decoder_lstm", decoder_lstm},
                         {"decoder_layers", decoder_layers}, {"reduction", reduction},
                         {"postnet_channels", postnet_channels}})
    need(v >= 1 && v <= kMax, name, v);
  need(encoder_convs >= 0 && encoder_convs <= 64, "encoder_convs", encoder_convs);
  need(postnet_convs >= 2 && postnet_convs <= 64, "postnet_convs", postnet_convs);
  need(encoder_kernel >= 1 && encoder_kernel <= 63 && encoder_kernel % 2 == 1, "encoder_kernel (odd)", encoder_kernel);
  need(postnet_kernel >= 1 && postnet_kernel <= 63 && postnet_kernel % 2 == 1, "postnet_kernel (odd)", postnet_kernel);
  need(dropout >= 0 && dropout < 1, "dropout", dropout);
  need(encoder_dropout >= 0 && encoder_dropout < 1, "encoder_dropout", encoder_dropout);
  const MelPreset& p = dubkit::mel_preset(mel_preset);  // throws for an unknown name, listing the known ones
  if (p.scale != FeatureScale::DbSymmetric || p.max_abs != 4.0)
    throw InvalidArgument("synthesizer config: mel_preset '" + mel_preset + "' is not a symmetric [-4, 4] preset");
  if (p.n_features() != n_mels)
    throw InvalidArgument("synthesizer config: n_mels = " + std::to_string(n_mels) + ", but mel_preset '" + mel_preset +
                          "' has " + std::to_string(p.n_features()) + " bands");
}

std::string SynthesizerConfig::to_json() const {
  return nlohmann::json{{"n_symbols", n_symbols},         {"n_languages", n_languages},
                        {"n_mels", n_mels},               {"symbol_dim", symbol_dim},
                        {"encoder_convs", encoder_convs}, {"encoder_kernel", encoder_kernel},
                        {"encoder_lstm", encoder_lstm},   {"speaker_dim", speaker_dim},
                        {"language_dim", language_dim},   {"duration_channels", duration_channels},
                        {"prenet", prenet},               {"decoder_lstm", decoder_lstm},
                        {"decoder_layers", decoder_layers}, {"reduction", reduction},
                        {"postnet_channels", postnet_channels}, {"postnet_convs", postnet_convs},
                        {"postnet_kernel", postnet_kernel}, {"dropout", dropout},
                        {"encoder_dropout", encoder_dropout}, {"mel_preset", mel_preset}}
      .dump();
}

SynthesizerConfig SynthesizerConfig::from_json(const std::string& json, const std::string& source) {
  const auto j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) throw FormatError(source + ": synthesizer config is not a JSON object");
  SynthesizerConfig c;
  auto get_int = [&](const char* key, int& field) {
    if (!j.contains(key)) return;
    if (!j[key].is_number_integer() || j[key].get<long long>() < -1000000 || j[key].get<long long>() > 1000000)
      throw FormatError(source + ": synthesizer config field '" + key + "' is not an integer of sensible size");
    field = static_cast<int>(j[key].get<long long>());
  };
  auto get_real = [&](const char* key, double& field) {
    if (!j.contains(key)) return;
    if (!j[key].is_number()) throw FormatError(source + ": synthesizer config field '" + key + "' is not a number");
    field = j[key].get<double>();
  };
  get_int("n_symbols", c.n_symbols);
  get_int("n_languages", c.n_languages);
  get_int("n_mels", c.n_mels);
  get_int("symbol_dim", c.symbol_dim);
  get_int("encoder_convs", c.encoder_convs);
  get_int("encoder_kernel", c.encoder_kernel);
  get_int("encoder_lstm", c.encoder_lstm);
  get_int("speaker_dim", c.speaker_dim);
  get_int("language_dim", c.language_dim);
  get_int("duration_channels", c.duration_channels);
  get_int("prenet", c.prenet);
  get_int("decoder_lstm", c.decoder_lstm);
  get_int("decoder_layers", c.decoder_layers);
  get_int("reduction", c.reduction);
  get_int("postnet_channels", c.postnet_channels);
  get_int("postnet_convs", c.postnet_convs);
  get_int("postnet_kernel", c.postnet_kernel);
  get_real("dropout", c.dropout);
  get_real("encoder_dropout", c.encoder_dropout);
  if (j.contains("mel_preset")) {  // files made before 22.05 kHz synthesizers are wav2lip-16k
    if (!j["mel_preset"].is_string()) throw FormatError(source + ": synthesizer config field 'mel_preset' is not a string");
    c.mel_preset = j["mel_preset"].get<std::string>();
  }
  try {
    c.validate();
  } catch (const InvalidArgument& e) {
    throw FormatError(source + ": " + e.what());
  }
  return c;
}

SynthesizerImpl::SynthesizerImpl(const SynthesizerConfig& config) : config_(config) {
  config_.validate();
  const SynthesizerConfig& c = config_;
  const int f = c.feature_dim();
  embedding = register_module(
      "embedding", torch::nn::Embedding(torch::nn::EmbeddingOptions(c.n_symbols, c.symbol_dim).padding_idx(0)));
  encoder_convs = register_module("encoder_convolutions", torch::nn::ModuleList());
  for (int i = 0; i < c.encoder_convs; ++i) encoder_convs->push_back(conv_norm(c.symbol_dim, c.symbol_dim, c.encoder_kernel));
  encoder_lstm = register_module(
      "encoder_lstm",
      torch::nn::LSTM(torch::nn::LSTMOptions(c.symbol_dim, c.encoder_lstm).bidirectional(true).batch_first(true)));
  language_embedding = register_module("language_embedding", torch::nn::Embedding(c.n_languages, c.language_dim));
  duration_conv1 = register_module(
      "duration_conv1", torch::nn::Conv1d(torch::nn::Conv1dOptions(f, c.duration_channels, 3).padding(1)));
  duration_norm1 = register_module("duration_norm1",
                                   torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.duration_channels})));
  duration_conv2 = register_module(
      "duration_conv2",
      torch::nn::Conv1d(torch::nn::Conv1dOptions(c.duration_channels, c.duration_channels, 3).padding(1)));
  duration_norm2 = register_module("duration_norm2",
                                   torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.duration_channels})));
  duration_out = register_module("duration_out", torch::nn::Linear(c.duration_channels, 1));
  range_out = register_module("range_out", torch::nn::Linear(f + 1, 1));
  prenet = register_module("prenet", torch::nn::ModuleList());
  prenet->push_back(torch::nn::Linear(c.n_mels, c.prenet));
  prenet->push_back(torch::nn::Linear(c.prenet, c.prenet));
  decoder_lstm = register_module(
      "decoder_lstm",
      torch::nn::LSTM(torch::nn::LSTMOptions(c.prenet + f, c.decoder_lstm).num_layers(c.decoder_layers).batch_first(true)));
  projection = register_module("projection", torch::nn::Linear(c.decoder_lstm + f, c.reduction * c.n_mels));
  postnet = register_module("postnet", torch::nn::ModuleList());
  for (int i = 0; i < c.postnet_convs; ++i) {
    const int in = i == 0 ? c.n_mels : c.postnet_channels;
    const int out = i + 1 == c.postnet_convs ? c.n_mels : c.postnet_channels;
    postnet->push_back(conv_norm(in, out, c.postnet_kernel));
  }
  // Start the durations near the corpus's typical phone (~6 frames) and sigma near 1.5 frames,
  // so the first steps already place phones roughly in time.
  torch::NoGradGuard no_grad;
  duration_out->bias.fill_(std::log(7.0));
  range_out->bias.fill_(1.2);
}

torch::Tensor SynthesizerImpl::encode(const torch::Tensor& phones, const torch::Tensor& lengths,
                                      const torch::Tensor& speakers, const torch::Tensor& languages) {
  const long b = phones.size(0), n = phones.size(1);
  const torch::Tensor mask = length_mask(lengths, n).unsqueeze(1).to(torch::kFloat);  // [B, 1, N]
  torch::Tensor x = embedding->forward(phones).transpose(1, 2);                        // [B, C, N]
  for (const auto& layer : *encoder_convs) {
    x = layer->as<torch::nn::SequentialImpl>()->forward(x * mask);
    x = F::dropout(torch::relu(x), F::DropoutFuncOptions().p(config_.encoder_dropout).training(is_training()));
  }
  x = (x * mask).transpose(1, 2);  // [B, N, C]
  const auto packed = torch::nn::utils::rnn::pack_padded_sequence(x, lengths.to(torch::kCPU), /*batch_first=*/true,
                                                                  /*enforce_sorted=*/false);
  const auto out = std::get<0>(encoder_lstm->forward_with_packed_input(packed));
  const torch::Tensor h = std::get<0>(torch::nn::utils::rnn::pad_packed_sequence(out, true, 0.0, n));
  const torch::Tensor spk = speakers.unsqueeze(1).expand({b, n, config_.speaker_dim});
  const torch::Tensor lang = language_embedding->forward(languages).unsqueeze(1).expand({b, n, config_.language_dim});
  return torch::cat({h, spk, lang}, 2) * mask.transpose(1, 2);
}

torch::Tensor SynthesizerImpl::predict_log_durations(const torch::Tensor& features, const torch::Tensor& mask) {
  const auto drop = F::DropoutFuncOptions().p(config_.encoder_dropout).training(is_training());
  const torch::Tensor m = mask.unsqueeze(2).to(torch::kFloat);
  torch::Tensor y = F::dropout(duration_norm1->forward(torch::relu(conv_time(duration_conv1, features))), drop) * m;
  y = F::dropout(duration_norm2->forward(torch::relu(conv_time(duration_conv2, y))), drop) * m;
  torch::Tensor d = duration_out->forward(y).squeeze(2);
  if (adapter_) d = d + adapter_->duration_shift;
  return d * m.squeeze(2);
}

void SynthesizerImpl::set_adapter(SpeakerAdapter a) {
  if (a && (a->embedding.size(0) != config_.speaker_dim || a->decoder_scale.size(0) != config_.decoder_lstm ||
            a->mel_scale.size(0) != config_.n_mels))
    throw InvalidArgument("speaker adapter of sizes " + std::to_string(a->embedding.size(0)) + "/" +
                          std::to_string(a->decoder_scale.size(0)) + "/" + std::to_string(a->mel_scale.size(0)) +
                          " (embedding/decoder/mels) does not fit this synthesizer (" + std::to_string(config_.speaker_dim) +
                          "/" + std::to_string(config_.decoder_lstm) + "/" + std::to_string(config_.n_mels) + ")");
  adapter_ = std::move(a);
}

std::pair<torch::Tensor, torch::Tensor> SynthesizerImpl::upsample(const torch::Tensor& features,
                                                                  const torch::Tensor& durations,
                                                                  const torch::Tensor& mask, long steps) {
  const torch::Tensor d = durations.clamp_min(0) * mask.to(torch::kFloat);
  const torch::Tensor centers = d.cumsum(1) - 0.5 * d;  // [B, N] frames
  const torch::Tensor sigma =
      F::softplus(range_out->forward(torch::cat({features, torch::log1p(d).unsqueeze(2)}, 2))).squeeze(2) + 0.1;
  // Decoder step k produces frames [k r, (k + 1) r); its features are read at the middle.
  const torch::Tensor t = (torch::arange(steps, features.options()) + 0.5) * config_.reduction;  // [K]
  const torch::Tensor z = (t.view({1, -1, 1}) - centers.unsqueeze(1)) / sigma.unsqueeze(1);     // [B, K, N]
  torch::Tensor logits = -0.5 * z * z - torch::log(sigma).unsqueeze(1);
  logits = logits.masked_fill(mask.logical_not().unsqueeze(1), -1e9);
  const torch::Tensor w = torch::softmax(logits, 2);
  return {torch::bmm(w, features), w};
}

torch::Tensor SynthesizerImpl::prenet_forward(torch::Tensor x, bool always_dropout) {
  for (const auto& layer : *prenet)
    x = F::dropout(torch::relu(layer->as<torch::nn::LinearImpl>()->forward(x)),
                   F::DropoutFuncOptions().p(config_.dropout).training(always_dropout));
  return x;
}

torch::Tensor SynthesizerImpl::postnet_forward(const torch::Tensor& mel) {
  torch::Tensor y = mel.transpose(1, 2);
  const long last = static_cast<long>(postnet->size()) - 1;
  for (long i = 0; i <= last; ++i) {
    y = (*postnet)[i]->as<torch::nn::SequentialImpl>()->forward(y);
    if (i < last) y = torch::tanh(y);
    y = F::dropout(y, F::DropoutFuncOptions().p(config_.encoder_dropout).training(is_training()));
  }
  return y.transpose(1, 2);
}

SynthesizerOutput SynthesizerImpl::forward(const SynthesizerBatch& batch) {
  const SynthesizerConfig& c = config_;
  const long b = batch.phones.size(0), n = batch.phones.size(1), t = batch.mels.size(1);
  const long r = c.reduction, k = (t + r - 1) / r;
  const torch::Tensor mask = length_mask(batch.phone_lengths, n);
  SynthesizerOutput out;
  const torch::Tensor features = encode(batch.phones, batch.phone_lengths, batch.speakers, batch.languages);
  out.log_durations = predict_log_durations(features, mask);
  auto [up, w] = upsample(features, batch.durations, mask, k);
  out.weights = w;
  const torch::Tensor target = F::pad(batch.mels, F::PadFuncOptions({0, 0, 0, k * r - t}).value(kSilenceMel));
  // The prenet reads the last frame of the previous step (teacher forcing); step 0 reads silence.
  const torch::Tensor go = torch::full({b, 1, c.n_mels}, kSilenceMel, target.options());
  const torch::Tensor previous =
      torch::cat({go, target.view({b, k, r, c.n_mels}).select(2, r - 1).narrow(1, 0, k - 1)}, 1);
  const torch::Tensor p = prenet_forward(previous, true);
  torch::Tensor h = std::get<0>(decoder_lstm->forward(torch::cat({p, up}, 2)));
  if (adapter_) h = adapter_->decoder(h);
  out.mel_decoder = projection->forward(torch::cat({h, up}, 2)).view({b, k * r, c.n_mels});
  if (adapter_) out.mel_decoder = adapter_->mel(out.mel_decoder);
  out.mel = out.mel_decoder + postnet_forward(out.mel_decoder);
  return out;
}

std::pair<torch::Tensor, torch::Tensor> SynthesizerImpl::generate(const torch::Tensor& upsampled, std::uint64_t seed) {
  // Step by step with precomputed input projections: the upsampled features' share of the
  // first LSTM layer and of the projection is one matrix product over all steps, so each step
  // only multiplies the prenet output and the hidden states.
  if (is_training()) throw InvalidArgument("synthesizer: generate() needs eval mode (call eval() first)");
  torch::NoGradGuard no_grad;
  const SynthesizerConfig& c = config_;
  const long k = upsampled.size(0), hidden = c.decoder_lstm, layers = c.decoder_layers, r = c.reduction;
  auto lp = decoder_lstm->named_parameters();
  auto w = [&](const std::string& name, long layer) { return lp[name + "_l" + std::to_string(layer)]; };
  const torch::Tensor w_ih0 = w("weight_ih", 0);
  const torch::Tensor xw0 =
      torch::addmm(w("bias_ih", 0) + w("bias_hh", 0), upsampled, w_ih0.narrow(1, c.prenet, c.feature_dim()).t());
  std::vector<torch::Tensor> w_cat(layers), bias(layers);
  w_cat[0] = torch::cat({w_ih0.narrow(1, 0, c.prenet), w("weight_hh", 0)}, 1).t().contiguous();
  for (long l = 1; l < layers; ++l) {
    w_cat[l] = torch::cat({w("weight_ih", l), w("weight_hh", l)}, 1).t().contiguous();
    bias[l] = (w("bias_ih", l) + w("bias_hh", l)).unsqueeze(0);
  }
  const torch::Tensor pw = projection->weight;  // [r * n_mels, H + F]
  const torch::Tensor proj_feat = torch::addmm(projection->bias, upsampled, pw.narrow(1, hidden, c.feature_dim()).t());
  const torch::Tensor proj_h = pw.narrow(1, 0, hidden).t().contiguous();
  auto* pre0 = (*prenet)[0]->as<torch::nn::LinearImpl>();
  auto* pre1 = (*prenet)[1]->as<torch::nn::LinearImpl>();
  const torch::Tensor pre0_w = pre0->weight.t().contiguous(), pre1_w = pre1->weight.t().contiguous();
  const torch::Tensor pre0_b = pre0->bias.unsqueeze(0), pre1_b = pre1->bias.unsqueeze(0);

  // Dropout masks of the prenet (kept at inference as in Tacotron 2), from `seed` alone.
  std::mt19937_64 rng(seed);
  const float keep_scale = static_cast<float>(1.0 / (1.0 - c.dropout));
  torch::Tensor masks = torch::empty({k, 2, c.prenet});
  {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    float* m = masks.data_ptr<float>();
    for (long i = 0; i < masks.numel(); ++i) m[i] = u(rng) >= c.dropout ? keep_scale : 0.0f;
  }

  std::vector<torch::Tensor> h(layers), cell(layers);
  for (long l = 0; l < layers; ++l) h[l] = torch::zeros({1, hidden}), cell[l] = torch::zeros({1, hidden});
  torch::Tensor frames = torch::empty({k, r * c.n_mels});
  torch::Tensor previous = torch::full({1, c.n_mels}, kSilenceMel);
  for (long s = 0; s < k; ++s) {
    torch::Tensor p = torch::relu(torch::addmm(pre0_b, previous, pre0_w)) * masks[s][0];
    p = torch::relu(torch::addmm(pre1_b, p, pre1_w)) * masks[s][1];
    torch::Tensor input = p;
    for (long l = 0; l < layers; ++l) {
      const torch::Tensor v = torch::cat({input, h[l]}, 1);
      const torch::Tensor gates = torch::addmm(l == 0 ? xw0.narrow(0, s, 1) : bias[l], v, w_cat[l]);
      const auto g = gates.chunk(4, 1);  // PyTorch order: input, forget, cell, output
      cell[l] = torch::sigmoid(g[1]) * cell[l] + torch::sigmoid(g[0]) * torch::tanh(g[2]);
      h[l] = torch::sigmoid(g[3]) * torch::tanh(cell[l]);
      input = h[l];
    }
    torch::Tensor out = frames.narrow(0, s, 1);
    if (adapter_) {
      out.copy_(adapter_->mel(torch::addmm(proj_feat.narrow(0, s, 1), adapter_->decoder(input), proj_h)));
    } else {
      torch::addmm_out(out, proj_feat.narrow(0, s, 1), input, proj_h);
    }
    previous = out.narrow(1, (r - 1) * c.n_mels, c.n_mels);
  }
  const torch::Tensor mel = frames.view({1, k * r, c.n_mels});
  return {mel.squeeze(0), (mel + postnet_forward(mel)).squeeze(0)};
}

LoadedSynthesizer load_synthesizer(const std::string& path) {
  const TensorDict weights = load_weight_file(path);
  LoadedSynthesizer out;
  out.source = path;
  out.metadata = load_weight_metadata(path);
  auto meta = [&](const char* key) -> const std::string& {
    const auto it = out.metadata.find(key);
    if (it == out.metadata.end())
      throw FormatError(path + ": not a dubkit synthesizer: metadata '" + key + "' is missing");
    return it->second;
  };
  if (meta("dubkit.model") != "synthesizer")
    throw FormatError(path + ": metadata dubkit.model is '" + meta("dubkit.model") + "', expected 'synthesizer'");
  const SynthesizerConfig config = SynthesizerConfig::from_json(meta("dubkit.config"), path);
  const auto preset = out.metadata.find("dubkit.mel_preset");
  if (preset != out.metadata.end() && preset->second != config.mel_preset)
    throw FormatError(path + ": metadata dubkit.mel_preset '" + preset->second + "' disagrees with the config's '" +
                      config.mel_preset + "'");
  out.symbols = SymbolTable::from_json(meta("dubkit.symbols"), path);
  const auto langs = nlohmann::json::parse(meta("dubkit.languages"), nullptr, false);
  if (!langs.is_array() || langs.empty()) throw FormatError(path + ": metadata dubkit.languages is not a JSON array of names");
  for (const auto& l : langs) {
    if (!l.is_string()) throw FormatError(path + ": metadata dubkit.languages holds a non-string");
    out.languages.push_back(l.get<std::string>());
  }
  if (static_cast<int>(out.symbols.size()) != config.n_symbols || static_cast<int>(out.languages.size()) != config.n_languages)
    throw FormatError(path + ": the symbol table (" + std::to_string(out.symbols.size()) + ") or languages (" +
                      std::to_string(out.languages.size()) + ") disagree with the config (" +
                      std::to_string(config.n_symbols) + ", " + std::to_string(config.n_languages) + ")");
  out.model = Synthesizer(config);
  load_weights(*out.model, weights, path);
  out.model->eval();
  return out;
}

std::string synthesizer_mel_preset(const std::string& path) {
  const auto metadata = load_weight_metadata(path);
  const auto it = metadata.find("dubkit.mel_preset");
  return it == metadata.end() ? "wav2lip-16k" : it->second;
}

void save_synthesizer(const std::string& path, Synthesizer& model, const SymbolTable& symbols,
                      const std::vector<std::string>& languages, std::map<std::string, std::string> metadata,
                      bool half) {
  metadata["dubkit.model"] = "synthesizer";
  metadata["dubkit.config"] = model->config().to_json();
  metadata["dubkit.symbols"] = symbols.to_json();
  metadata["dubkit.languages"] = nlohmann::json(languages).dump();
  metadata["dubkit.mel_preset"] = model->config().mel_preset;
  write_safetensors(path, module_weights(*model, half ? DType::F16 : DType::F32), metadata);
}

}  // namespace dubkit
