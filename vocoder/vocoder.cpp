#include "vocoder/vocoder.hpp"

#include <cmath>
#include <filesystem>

#include "core/error.hpp"
#include "core/safetensors.hpp"
#include "core/torch_bridge.hpp"
#include "core/weight_file.hpp"
#include "vocoder/convnext_vocoder.hpp"
#include "vocoder/griffin_lim.hpp"
#include "vocoder/hifigan.hpp"
#include "vocoder/wavernn.hpp"

namespace dubkit {

namespace fs = std::filesystem;

namespace {

torch::Tensor mel_tensor(const FeatureMatrix& mel) {
  // The copy owns its memory: `mel` may go away before the network runs.
  return torch::from_blob(const_cast<float*>(mel.data.data()), {1, mel.rows, mel.cols}, torch::kFloat).clone();
}

Waveform to_waveform(const torch::Tensor& audio, int rate) {
  const torch::Tensor a = audio.reshape({-1}).contiguous();
  Waveform w;
  w.rate = rate;
  w.samples.assign(a.data_ptr<float>(), a.data_ptr<float>() + a.numel());
  return w;
}

class GriffinLimVocoder final : public Vocoder {
 public:
  GriffinLimVocoder(int iterations, const MelPreset& p)
      : Vocoder(p.name, "griffinlim", p.n_features(), p.stft.hop, p.sample_rate) {
    config_.iterations = iterations;
    config_.validate();
  }
  std::string name() const override { return "griffinlim (" + std::to_string(config_.iterations) + " iterations)"; }
  void vocode_stream(const FeatureMatrix& mel, const std::function<void(const std::vector<float>&)>& on_audio) const override {
    check_mel(mel);
    griffin_lim_blocks(mel, analyzer(), config_, kBlockFrames, kContextFrames, on_audio);
  }

 protected:
  Waveform run(const FeatureMatrix& mel) const override {
    std::vector<float> samples;
    // The streaming form pads spans shorter than a window and yields exactly T * hop samples.
    griffin_lim_blocks(mel, analyzer(), config_, kBlockFrames, kContextFrames, [&](const std::vector<float>& piece) {
      samples.insert(samples.end(), piece.begin(), piece.end());
    });
    return Waveform{preset().sample_rate, std::move(samples)};
  }

 private:
  static constexpr int kBlockFrames = 80;    // 1 s pieces
  // Reconstructed around each block, half of it crossfaded. Measured on a gliding tone
  // (tests/vocoder/test_griffin_lim.cpp, 4 seeds): 8 frames leave 1.20-1.29x the whole-signal
  // mel error, 16 frames 1.06-1.09x, for 17% more work.
  static constexpr int kContextFrames = 16;
  GriffinLimConfig config_;
};

class ConvNextVocoderRunner final : public Vocoder {
 public:
  ConvNextVocoderRunner(ConvNextVocoder model, std::string source)
      : Vocoder(model->config().mel_preset, source, model->config().n_mels, model->config().hop, model->config().sample_rate),
        model_(std::move(model)),
        source_(std::move(source)) {}
  std::string name() const override { return "convnext-istft " + source_; }

 protected:
  Waveform run(const FeatureMatrix& mel) const override {
    torch::InferenceMode guard;
    return to_waveform(model_->forward(mel_tensor(mel)), preset().sample_rate);
  }

 private:
  mutable ConvNextVocoder model_;  // forward() is not const in LibTorch; inference writes no state
  std::string source_;
};

class HifiGanRunner final : public Vocoder {
 public:
  HifiGanRunner(HifiGanGenerator model, std::string source)
      : Vocoder(model->config().mel_preset, source, model->config().num_mels, model->config().hop(),
                model->config().sampling_rate),
        model_(std::move(model)),
        source_(std::move(source)) {}
  std::string name() const override { return "hifigan " + source_; }

 protected:
  Waveform run(const FeatureMatrix& mel) const override {
    torch::InferenceMode guard;
    return to_waveform(model_->forward(mel_tensor(mel)), preset().sample_rate);
  }

 private:
  mutable HifiGanGenerator model_;  // as above
  std::string source_;
};

class WaveRNNRunner final : public Vocoder {
 public:
  WaveRNNRunner(WaveRNN model, std::string source)
      : Vocoder("wav2lip-16k", source, model->config().feat_dims, model->config().hop_length, model->config().sample_rate),
        model_(std::move(model)),
        source_(std::move(source)) {
    if (model_->config().mel_max_abs != 4.0)
      throw FormatError(source_ + ": WaveRNN mel_max_abs " + std::to_string(model_->config().mel_max_abs) +
                        " is not the wav2lip-16k range (4)");
    options_.seed = 0;          // the same mel gives the same audio
    options_.fade_out = false;  // a sentence's mel ends where its speech does
  }
  std::string name() const override { return "wavernn " + source_; }

 protected:
  Waveform run(const FeatureMatrix& mel) const override {
    // WaveRNN makes (T - 1) * hop samples, ending at the last frame's centre: one silent frame
    // more gives the T * hop every vocoder here returns.
    FeatureMatrix padded(mel.rows, mel.cols + 1);
    std::fill(padded.data.begin(), padded.data.end(), -4.0f);  // wav2lip-16k silence
    for (int r = 0; r < mel.rows; ++r)
      std::copy(mel.data.begin() + static_cast<long>(r) * mel.cols, mel.data.begin() + static_cast<long>(r + 1) * mel.cols,
                padded.data.begin() + static_cast<long>(r) * padded.cols);
    return model_->generate(padded, options_);
  }

 private:
  mutable WaveRNN model_;  // generate() writes nothing to the module
  std::string source_;
  WaveRNNOptions options_;
};

}  // namespace

Vocoder::Vocoder(const std::string& preset, const std::string& source, long n_mels, long hop, long sample_rate) {
  try {
    analyzer_ = std::make_unique<MelAnalyzer>(mel_preset(preset));
  } catch (const InvalidArgument& e) {
    throw FormatError(source + ": " + e.what());
  }
  const MelPreset& p = analyzer_->preset();
  if (p.n_features() != n_mels || p.stft.hop != hop || p.sample_rate != sample_rate)
    throw FormatError(source + ": the model takes " + std::to_string(n_mels) + " bands, hop " + std::to_string(hop) + " at " +
                      std::to_string(sample_rate) + " Hz; its preset " + preset + " has " + std::to_string(p.n_features()) +
                      ", " + std::to_string(p.stft.hop) + " at " + std::to_string(p.sample_rate) + " Hz");
}

void Vocoder::check_mel(const FeatureMatrix& mel) const {
  if (mel.rows != preset().n_features())
    throw InvalidArgument("vocoder " + name() + " takes " + std::to_string(preset().n_features()) + "-band " + preset().name +
                          " features; got " + std::to_string(mel.rows) + " rows");
  if (mel.cols < 1) throw InvalidArgument("vocoder " + name() + ": the mel has no frames");
  for (int t = 0; t < mel.cols; ++t)
    for (int r = 0; r < mel.rows; ++r)
      if (!std::isfinite(mel.at(r, t)))
        throw InvalidArgument("vocoder " + name() + ": mel frame " + std::to_string(t) + " holds a non-finite value");
}

Waveform Vocoder::vocode(const FeatureMatrix& mel) const {
  check_mel(mel);
  return run(mel);
}

void Vocoder::vocode_stream(const FeatureMatrix& mel, const std::function<void(const std::vector<float>&)>& on_audio) const {
  on_audio(vocode(mel).samples);
}

std::unique_ptr<Vocoder> open_vocoder(const std::string& spec, int griffin_lim_iterations, const std::string& griffin_lim_preset) {
  if (spec == "griffinlim") return std::make_unique<GriffinLimVocoder>(griffin_lim_iterations, mel_preset(griffin_lim_preset));
  if (!fs::exists(spec)) throw IoError(spec + ": no such vocoder file (or name: griffinlim)");
  const auto meta = load_weight_metadata(spec);
  const auto model = meta.find("dubkit.model");
  if (model != meta.end() && model->second == "wavernn") return std::make_unique<WaveRNNRunner>(load_wavernn(spec), spec);
  if (model == meta.end()) {
    // A public SV2TTS WaveRNN checkpoint, known by its tensor names.
    if (load_weight_file(spec).find("rnn1.weight_ih_l0")) return std::make_unique<WaveRNNRunner>(load_wavernn(spec), spec);
    // A public HiFi-GAN release: generator file + config.json beside it.
    const std::string config_path = (fs::path(spec).parent_path() / "config.json").string();
    if (!fs::exists(config_path))
      throw FormatError(spec + ": not a dubkit vocoder file, and no config.json beside it to read it as a public HiFi-GAN checkpoint");
    return std::make_unique<HifiGanRunner>(load_hifigan(spec, HifiGanConfig::from_file(config_path)), spec);
  }
  if (model->second != "vocoder") throw FormatError(spec + ": metadata dubkit.model is '" + model->second + "', expected 'vocoder'");
  const auto arch = meta.find("dubkit.architecture"), config = meta.find("dubkit.config");
  if (arch == meta.end() || config == meta.end()) throw FormatError(spec + ": vocoder metadata lacks dubkit.architecture or dubkit.config");
  const TensorDict weights = load_weight_file(spec);
  if (arch->second == "convnext-istft") {
    ConvNextVocoder m(ConvNextVocoderConfig::from_json(config->second, spec));
    load_weights(*m, weights, spec);
    m->eval();
    return std::make_unique<ConvNextVocoderRunner>(m, spec);
  }
  if (arch->second == "hifigan") {
    HifiGanGenerator m(HifiGanConfig::from_json(config->second, spec));
    load_weights(*m, weights, spec);
    m->eval();
    return std::make_unique<HifiGanRunner>(m, spec);
  }
  throw FormatError(spec + ": unknown vocoder architecture '" + arch->second + "' (known: convnext-istft, hifigan)");
}

void save_vocoder(const std::string& path, const torch::nn::Module& model, const std::string& architecture,
                  const std::string& config_json, std::map<std::string, std::string> extra, bool half) {
  extra["dubkit.model"] = "vocoder";
  extra["dubkit.architecture"] = architecture;
  extra["dubkit.config"] = config_json;
  write_safetensors(path, module_weights(model, half ? DType::F16 : DType::F32), extra);
}

}  // namespace dubkit
