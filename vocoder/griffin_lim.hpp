// Griffin-Lim phase reconstruction: the vocoder that needs no weights, always available.
// Uses the "fast" variant with momentum (Perraudin, Balazs & Sondergaard 2013), as librosa's
// griffinlim does.
#pragma once

#include <cstdint>
#include <functional>

#include "audio/features.hpp"
#include "audio/mel_preset.hpp"
#include "audio/waveform.hpp"

namespace dubkit {

struct GriffinLimConfig {
  int iterations = 60;        // projections; 32 already gives most of the quality
  double momentum = 0.99;     // 0 = classic Griffin-Lim
  std::uint64_t seed = 0;     // initial random phases: same seed, same output for one FFTW plan
                              // (FFTW_MEASURE may pick another plan on another run or machine,
                              // which changes the last bits)
  void validate() const;      // throws InvalidArgument naming the field
};

// Reconstructs a waveform at the preset's rate from linear STFT magnitudes [n_fft/2+1, T] in
// that preset's framing; `on_iteration(i)` (optional) is called after each iteration.
Waveform griffin_lim(const FeatureMatrix& magnitude, const MelPreset& preset,
                     const GriffinLimConfig& config = {},
                     const std::function<void(int)>& on_iteration = nullptr);

// Features of `preset` -> waveform: undoes the feature scale and the filterbank
// (MelAnalyzer::linear_magnitude), runs Griffin-Lim, undoes pre-emphasis.
Waveform griffin_lim_from_features(const FeatureMatrix& features, const MelAnalyzer& analyzer,
                                   const GriffinLimConfig& config = {},
                                   const std::function<void(int)>& on_iteration = nullptr);

}  // namespace dubkit
