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

// Streaming Griffin-Lim: the features are cut into blocks of `block_frames`, each
// reconstructed with up to `context_frames` of its neighbours on both sides (Griffin-Lim is
// poor at a block's edges), and consecutive blocks are joined by an equal-power crossfade of
// `context_frames / 2` frames centred on their boundary. `on_audio` receives the pieces in
// order as soon as each exists; together they are features.cols * hop samples. Phases of
// neighbouring blocks are reconstructed independently, so the joins are heard only as the
// short crossfade. Any number of frames >= 1 works (short spans are padded internally).
// Throws InvalidArgument unless 2 <= context_frames <= block_frames.
void griffin_lim_blocks(const FeatureMatrix& features, const MelAnalyzer& analyzer, const GriffinLimConfig& config,
                        int block_frames, int context_frames,
                        const std::function<void(const std::vector<float>&)>& on_audio);

}  // namespace dubkit
