// Named feature presets that reproduce the public reference conventions exactly, and the
// analyser that computes them. Every preset's fields are listed in mel_preset.cpp with the
// reference implementation they come from.
//
//   hifigan-22k   HiFi-GAN meldataset.mel_spectrogram: ln of Slaney mel magnitudes
//   wav2lip-16k   Wav2Lip / SV2TTS synthesizer audio.melspectrogram: symmetric [-4, 4] dB
//   dubkit-22k    dubkit's own: wav2lip-16k's scale at 22050 Hz, hop 256, 80 bands up to 11025 Hz
//   ge2e-40       SV2TTS encoder wav_to_mel_spectrogram: 40-band power mel, no log
//   syncnet-mfcc  python_speech_features.mfcc as the SyncNet evaluation calls it
#pragma once

#include <string>
#include <vector>

#include "audio/features.hpp"
#include "audio/filterbank.hpp"
#include "audio/stft.hpp"
#include "audio/waveform.hpp"

namespace dubkit {

enum class FeatureScale {
  LnClamp,      // ln(max(mel, ln_clamp))
  DbSymmetric,  // 20*log10(max(mel, 1e-5)) - ref_level_db, [min_level_db, 0] -> [-max_abs, max_abs], clipped
  Linear,       // the mel values themselves
  Mfcc,         // ln filterbank energies -> DCT-II ortho -> lifter -> c0 replaced by ln frame energy
};

struct MelPreset {
  std::string name;
  int sample_rate = 16000;       // Hz; input must already be at this rate
  double input_gain = 1.0;       // samples are multiplied by this first (syncnet-mfcc: int16 scale)
  double preemphasis = 0.0;      // y[n] = x[n] - k x[n-1], y[0] = x[0]; 0 = off
  StftConfig stft;
  double power = 1.0;            // 1: magnitude, 2: power spectrum
  double magnitude_eps = 0.0;    // magnitude = sqrt(re^2 + im^2 + eps) (HiFi-GAN: 1e-9)
  double spectrum_scale = 1.0;   // power spectrum multiplied by this (python_speech_features: 1/n_fft)
  bool integer_bin_filters = false;  // python_speech_features filters instead of librosa's
  MelFilterbankSpec filters;
  FeatureScale scale = FeatureScale::Linear;
  double ln_clamp = 1e-5;        // LnClamp floor
  double ref_level_db = 20.0;    // DbSymmetric
  double min_level_db = -100.0;  // DbSymmetric
  double max_abs = 4.0;          // DbSymmetric
  int n_cepstra = 13;            // Mfcc
  double lifter = 22.0;          // Mfcc; 0 = off

  int n_features() const { return scale == FeatureScale::Mfcc ? n_cepstra : filters.n_mels; }
  double frames_per_second() const { return double(sample_rate) / stft.hop; }
  void validate() const;  // throws InvalidArgument naming the preset and field
};

// Throws InvalidArgument listing the known names when `name` is not one of them.
const MelPreset& mel_preset(const std::string& name);
const std::vector<MelPreset>& mel_presets();

// Computes one preset's features. Immutable after construction; compute() may be called from
// several threads at once.
class MelAnalyzer {
 public:
  explicit MelAnalyzer(const MelPreset& preset);
  const MelPreset& preset() const { return preset_; }

  // [n_features, T]. Throws InvalidArgument when wave.rate differs from the preset's rate,
  // FormatError when the wave is shorter than one analysis window (win_length). Samples must
  // be finite (read_audio guarantees it) and below ~1e18 so their power fits a float.
  FeatureMatrix compute(const Waveform& wave) const;

  // Estimated linear STFT magnitudes [n_fft/2+1, T] from features (undoing the scale, then a
  // non-negative least-squares inverse of the filterbank): Griffin-Lim's input. Throws
  // InvalidArgument for Mfcc presets (not invertible) or a wrong number of rows.
  FeatureMatrix linear_magnitude(const FeatureMatrix& features) const;

  // The highest frequency (Hz) whose STFT bin filter `m` reads (Mfcc presets: its filterbank's).
  double band_top_hz(int m) const;

 private:
  MelPreset preset_;
  Stft stft_;
  FeatureMatrix filters_;  // [n_mels, bins]
  // Each filter's non-zero bins [band_begin_[m], band_end_[m]): a triangle spans a few bins, so
  // applying only those is ~40x less work than the dense product.
  std::vector<int> band_begin_, band_end_;
  FeatureMatrix dct_;      // [n_cepstra, n_mels], Mfcc only
};

// One analyser per preset for the whole process, built on first use (thread-safe); for callers
// that would otherwise each build the same filterbank. Throws as mel_preset().
const MelAnalyzer& shared_mel_analyzer(const std::string& name);

}  // namespace dubkit
