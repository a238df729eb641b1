#include "audio/mel_preset.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <mutex>

#include "audio/vector_math.hpp"
#include "core/error.hpp"

namespace dubkit {

namespace {

std::vector<MelPreset> make_presets() {
  std::vector<MelPreset> v;
  {  // jik876/hifi-gan meldataset.py mel_spectrogram() with config_v1/v2/v3.json
    MelPreset p;
    p.name = "hifigan-22k";
    p.sample_rate = 22050;
    p.stft = {1024, 256, 1024, Window::Hann, true, (1024 - 256) / 2, Padding::Reflect, false};
    p.power = 1.0;
    p.magnitude_eps = 1e-9;
    p.filters = {22050, 1024, 80, 0.0, 8000.0, MelScale::Slaney, true};
    p.scale = FeatureScale::LnClamp;
    v.push_back(p);
  }
  {  // Rudrabha/Wav2Lip audio.py + hparams.py (also CorentinJ/Real-Time-Voice-Cloning
     // synthesizer/audio.py). Zero padding as librosa >= 0.9 (the fixture's version); the
     // public Wav2Lip checkpoint was trained under librosa 0.7's reflection, which changes
     // only the first and last two frames.
    MelPreset p;
    p.name = "wav2lip-16k";
    p.sample_rate = 16000;
    p.preemphasis = 0.97;
    p.stft = {800, 200, 800, Window::Hann, true, 400, Padding::Zero, false};
    p.power = 1.0;
    p.filters = {16000, 800, 80, 55.0, 7600.0, MelScale::Slaney, true};
    p.scale = FeatureScale::DbSymmetric;
    v.push_back(p);
  }
  {  // dubkit's own full-band preset: wav2lip-16k's scale, pre-emphasis and 55 Hz floor, at
     // 22050 Hz with HiFi-GAN's 1024/256 framing and the bands reaching Nyquist (11025 Hz), so
     // the 8-11 kHz that hifigan-22k leaves out is synthesised rather than lost.
    MelPreset p;
    p.name = "dubkit-22k";
    p.sample_rate = 22050;
    p.preemphasis = 0.97;
    p.stft = {1024, 256, 1024, Window::Hann, true, 512, Padding::Zero, false};
    p.power = 1.0;
    p.filters = {22050, 1024, 80, 55.0, 11025.0, MelScale::Slaney, true};
    p.scale = FeatureScale::DbSymmetric;
    v.push_back(p);
  }
  {  // CorentinJ/Real-Time-Voice-Cloning encoder/audio.py wav_to_mel_spectrogram():
     // 25 ms window, 10 ms step, 40 mels, librosa defaults otherwise (power 2, centred, zeros)
    MelPreset p;
    p.name = "ge2e-40";
    p.sample_rate = 16000;
    p.stft = {400, 160, 400, Window::Hann, true, 200, Padding::Zero, false};
    p.power = 2.0;
    p.filters = {16000, 400, 40, 0.0, 8000.0, MelScale::Slaney, true};
    p.scale = FeatureScale::Linear;
    v.push_back(p);
  }
  {  // python_speech_features.mfcc() defaults on int16-scaled samples (SyncNet evaluation)
    MelPreset p;
    p.name = "syncnet-mfcc";
    p.sample_rate = 16000;
    p.input_gain = 32768.0;
    p.preemphasis = 0.97;
    p.stft = {512, 160, 400, Window::Rectangular, false, 0, Padding::Zero, true};
    p.power = 2.0;
    p.spectrum_scale = 1.0 / 512.0;
    p.integer_bin_filters = true;
    p.filters = {16000, 512, 26, 0.0, 8000.0, MelScale::Htk, false};
    p.scale = FeatureScale::Mfcc;
    p.n_cepstra = 13;
    p.lifter = 22.0;
    v.push_back(p);
  }
  return v;
}

}  // namespace

void MelPreset::validate() const {
  auto bad = [&](const std::string& what) {
    throw InvalidArgument("mel preset '" + name + "': " + what);
  };
  if (sample_rate <= 0) bad("sample_rate must be positive");
  if (filters.sample_rate != sample_rate || filters.n_fft != stft.n_fft)
    bad("filterbank rate/n_fft disagree with the preset");
  if (power != 1.0 && power != 2.0) bad("power must be 1 or 2");
  if (preemphasis < 0 || preemphasis >= 1) bad("preemphasis must be in [0, 1)");
  if (scale == FeatureScale::Mfcc && (n_cepstra < 1 || n_cepstra > filters.n_mels))
    bad("n_cepstra must be in [1, n_mels]");
  stft.validate();
  filters.validate();
}

const std::vector<MelPreset>& mel_presets() {
  static const std::vector<MelPreset> presets = make_presets();
  return presets;
}

const MelPreset& mel_preset(const std::string& name) {
  std::string known;
  for (const MelPreset& p : mel_presets()) {
    if (p.name == name) return p;
    known += (known.empty() ? "" : ", ") + p.name;
  }
  throw InvalidArgument("unknown mel preset '" + name + "' (known: " + known + ")");
}

const MelAnalyzer& shared_mel_analyzer(const std::string& name) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<MelAnalyzer>> analyzers;
  const MelPreset& preset = mel_preset(name);
  std::lock_guard<std::mutex> lock(mutex);
  std::unique_ptr<MelAnalyzer>& a = analyzers[name];
  if (!a) a = std::make_unique<MelAnalyzer>(preset);
  return *a;
}

MelAnalyzer::MelAnalyzer(const MelPreset& preset) : preset_(preset), stft_(preset.stft) {
  preset_.validate();
  const MelFilterbankSpec& f = preset_.filters;
  filters_ = preset_.integer_bin_filters
                 ? speech_features_filterbank(f.n_mels, f.n_fft, f.sample_rate, f.fmin, f.fmax)
                 : mel_filterbank(f);
  if (preset_.scale == FeatureScale::Mfcc) dct_ = dct2_ortho(preset_.n_cepstra, f.n_mels);
  for (int m = 0; m < filters_.rows; ++m) {
    int begin = 0, end = filters_.cols;
    while (begin < end && filters_.at(m, begin) == 0.0f) ++begin;
    while (end > begin && filters_.at(m, end - 1) == 0.0f) --end;
    band_begin_.push_back(begin);
    band_end_.push_back(end);
  }
}

double MelAnalyzer::band_top_hz(int m) const {
  if (m < 0 || m >= filters_.rows) throw InvalidArgument("band_top_hz: no band " + std::to_string(m));
  return double(std::max(band_end_[m] - 1, 0)) * preset_.sample_rate / preset_.stft.n_fft;
}

FeatureMatrix MelAnalyzer::compute(const Waveform& wave) const {
  const MelPreset& p = preset_;
  if (wave.rate != p.sample_rate)
    throw InvalidArgument("preset '" + p.name + "' needs " + std::to_string(p.sample_rate) +
                          " Hz audio, got " + std::to_string(wave.rate) + " Hz (resample first)");
  if (wave.samples.size() < static_cast<std::size_t>(p.stft.win_length))
    throw FormatError("audio of " + std::to_string(wave.samples.size()) + " samples is shorter than one " +
                          std::to_string(p.stft.win_length) + "-sample analysis window of preset '" + p.name + "'");
  // Pre-emphasis and gain need a copy; without them the STFT reads the samples in place.
  std::vector<float> scaled;
  if (p.preemphasis != 0.0 || p.input_gain != 1.0) {
    scaled.resize(wave.samples.size());
    const float gain = static_cast<float>(p.input_gain), emph = static_cast<float>(p.preemphasis);
    for (std::size_t i = 0; i < scaled.size(); ++i) {
      const float cur = wave.samples[i] * gain;
      const float prev = i ? wave.samples[i - 1] * gain : 0.0f;
      scaled[i] = cur - emph * prev;
    }
  }
  const std::vector<float>& x = scaled.empty() ? wave.samples : scaled;
  const int T = stft_.frames(x.size()), n_mels = filters_.rows, bins = filters_.cols;
  FeatureMatrix mel(n_mels, T);
  std::vector<double> energy(p.scale == FeatureScale::Mfcc ? T : 0);  // MFCC c0 only
  std::vector<float> spec(bins);
  const bool mfcc = p.scale == FeatureScale::Mfcc;
  const float scale = static_cast<float>(p.spectrum_scale), eps = static_cast<float>(p.magnitude_eps);
  stft_.for_each_power(x.data(), x.size(), [&](int t, const float* pw) {
    const float* s = pw;  // the power spectrum itself, when nothing needs changing
    if (p.power != 2.0) {
      for (int k = 0; k < bins; ++k) spec[k] = std::sqrt(pw[k] * scale + eps);
      s = spec.data();
    } else if (scale != 1.0f) {
      for (int k = 0; k < bins; ++k) spec[k] = pw[k] * scale;
      s = spec.data();
    }
    if (mfcc) energy[t] = sum(pw, bins) * p.spectrum_scale;
    for (int m = 0; m < n_mels; ++m) {
      const int b = band_begin_[m];
      mel.at(m, t) = dot(&filters_.data[static_cast<std::size_t>(m) * bins + b], s + b, band_end_[m] - b);
    }
  });

  switch (p.scale) {
    case FeatureScale::Linear:
      return mel;
    case FeatureScale::LnClamp:
      scaled_log_inplace(mel.data.data(), mel.data.size(), static_cast<float>(p.ln_clamp), 1.0f, 0.0f);
      return mel;
    case FeatureScale::DbSymmetric: {
      // 2*A*(20*log10(v) - ref - min) / -min - A, folded into gain * ln(v) + offset.
      const double log10e = 1.0 / std::log(10.0);
      const float floor = static_cast<float>(std::pow(10.0, p.min_level_db / 20.0));
      const float gain = static_cast<float>(2.0 * p.max_abs * 20.0 * log10e / -p.min_level_db);
      const float offset = static_cast<float>(2.0 * p.max_abs * (-p.ref_level_db - p.min_level_db) / -p.min_level_db - p.max_abs);
      scaled_log_inplace(mel.data.data(), mel.data.size(), floor, gain, offset);
      const float top = static_cast<float>(p.max_abs);
      for (float& v : mel.data) v = std::clamp(v, -top, top);
      return mel;
    }
    case FeatureScale::Mfcc: {
      // python_speech_features replaces exact zeros (digital silence) by double epsilon before
      // the log; flooring at epsilon is the same for every energy int16-scale audio can have.
      const double eps = std::numeric_limits<double>::epsilon();
      scaled_log_inplace(mel.data.data(), mel.data.size(), static_cast<float>(eps), 1.0f, 0.0f);
      FeatureMatrix cep = matmul(dct_, mel);
      for (int c = 0; c < cep.rows; ++c) {
        const double lift = p.lifter > 0 ? 1.0 + p.lifter / 2.0 * std::sin(M_PI * c / p.lifter) : 1.0;
        for (int t = 0; t < T; ++t) cep.at(c, t) = static_cast<float>(cep.at(c, t) * lift);
      }
      for (int t = 0; t < T; ++t)
        cep.at(0, t) = static_cast<float>(std::log(energy[t] == 0.0 ? eps : energy[t]));
      return cep;
    }
  }
  return mel;
}

FeatureMatrix MelAnalyzer::linear_magnitude(const FeatureMatrix& features) const {
  const MelPreset& p = preset_;
  if (p.scale == FeatureScale::Mfcc)
    throw InvalidArgument("preset '" + p.name + "' (MFCC) cannot be inverted to a spectrogram");
  if (features.cols < 1) throw InvalidArgument("preset '" + p.name + "': no feature frames to invert");
  if (features.rows != filters_.rows)
    throw InvalidArgument("preset '" + p.name + "' has " + std::to_string(filters_.rows) +
                          " bands, the features have " + std::to_string(features.rows));
  FeatureMatrix mel = features;
  for (float& v : mel.data) {
    if (!std::isfinite(v)) throw InvalidArgument("features contain NaN or Inf");
    double m = v;
    if (p.scale == FeatureScale::LnClamp) m = std::exp(m);
    if (p.scale == FeatureScale::DbSymmetric) {
      const double db = (m + p.max_abs) * -p.min_level_db / (2.0 * p.max_abs) + p.min_level_db;
      m = std::pow(10.0, (db + p.ref_level_db) / 20.0);
    }
    v = static_cast<float>(std::max(0.0, m));
  }
  // Non-negative least squares by multiplicative updates (Lee & Seung): keeps every bin >= 0
  // and converges to the filterbank inverse that librosa's mel_to_stft finds by L-BFGS-B.
  const int bins = filters_.cols, M = filters_.rows;
  FeatureMatrix ft(bins, M);  // filters transposed
  for (int m = 0; m < M; ++m)
    for (int k = 0; k < bins; ++k) ft.at(k, m) = filters_.at(m, k);
  FeatureMatrix gram = matmul(ft, filters_);     // [bins, bins]
  FeatureMatrix num = matmul(ft, mel);           // [bins, T]
  FeatureMatrix x = num;
  constexpr int kIterations = 100;
  constexpr float kTiny = 1e-12f;
  for (int it = 0; it < kIterations; ++it) {
    FeatureMatrix den = matmul(gram, x);
    for (std::size_t i = 0; i < x.data.size(); ++i) x.data[i] *= num.data[i] / (den.data[i] + kTiny);
  }
  if (p.power == 2.0)
    for (float& v : x.data) v = std::sqrt(v);
  return x;
}

}  // namespace dubkit
