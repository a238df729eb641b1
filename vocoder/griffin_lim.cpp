#include "vocoder/griffin_lim.hpp"

#include <cmath>
#include <complex>
#include <random>
#include <string>

#include "audio/stft.hpp"
#include "core/error.hpp"

namespace dubkit {

void GriffinLimConfig::validate() const {
  if (iterations < 1 || iterations > 10000)
    throw InvalidArgument("Griffin-Lim: iterations = " + std::to_string(iterations) + " not in [1, 10000]");
  if (momentum < 0 || momentum >= 1)
    throw InvalidArgument("Griffin-Lim: momentum = " + std::to_string(momentum) + " not in [0, 1)");
}

Waveform griffin_lim(const FeatureMatrix& magnitude, const MelPreset& preset,
                     const GriffinLimConfig& config, const std::function<void(int)>& on_iteration) {
  config.validate();
  const StftConfig& sc = preset.stft;
  const int bins = sc.bins(), T = magnitude.cols;
  if (magnitude.rows != bins)
    throw InvalidArgument("Griffin-Lim: magnitudes have " + std::to_string(magnitude.rows) +
                          " bins, preset '" + preset.name + "' needs " + std::to_string(bins));
  if (T < 1) throw InvalidArgument("Griffin-Lim: no frames");
  const long long n_signed = static_cast<long long>(T - 1) * sc.hop + sc.n_fft - 2LL * sc.pad;
  if (n_signed <= sc.pad) throw InvalidArgument("Griffin-Lim: too few frames to reconstruct a signal");
  const std::size_t n = static_cast<std::size_t>(n_signed);
  Stft stft(sc);

  // mag[t * bins + k]: frame-major, as the STFT produces.
  std::vector<float> mag(static_cast<std::size_t>(T) * bins);
  for (int k = 0; k < bins; ++k)
    for (int t = 0; t < T; ++t) mag[static_cast<std::size_t>(t) * bins + k] = magnitude.at(k, t);

  std::mt19937_64 rng(config.seed);
  std::uniform_real_distribution<float> phase(0.0f, 2.0f * static_cast<float>(M_PI));
  std::vector<std::complex<float>> angles(mag.size()), prev(mag.size()), spec(mag.size());
  for (auto& a : angles) a = std::polar(1.0f, phase(rng));

  const float alpha = static_cast<float>(config.momentum / (1.0 + config.momentum));
  std::vector<float> signal;
  for (int it = 0; it < config.iterations; ++it) {
    for (std::size_t i = 0; i < spec.size(); ++i) spec[i] = mag[i] * angles[i];
    signal = stft.inverse(spec.data(), T, n);
    std::vector<std::complex<float>> rebuilt = stft.forward(signal.data(), n);
    // The STFT of a signal of n samples has T frames again (same framing both ways).
    for (std::size_t i = 0; i < angles.size(); ++i) {
      const std::complex<float> a = rebuilt[i] - alpha * prev[i];
      angles[i] = a / (std::abs(a) + 1e-16f);
    }
    prev.swap(rebuilt);
    if (on_iteration) on_iteration(it + 1);
  }
  for (std::size_t i = 0; i < spec.size(); ++i) spec[i] = mag[i] * angles[i];
  Waveform out;
  out.rate = preset.sample_rate;
  out.samples = stft.inverse(spec.data(), T, n);
  return out;
}

Waveform griffin_lim_from_features(const FeatureMatrix& features, const MelAnalyzer& analyzer,
                                   const GriffinLimConfig& config,
                                   const std::function<void(int)>& on_iteration) {
  const MelPreset& p = analyzer.preset();
  Waveform w = griffin_lim(analyzer.linear_magnitude(features), p, config, on_iteration);
  for (float& s : w.samples) s = static_cast<float>(s / p.input_gain);
  if (p.preemphasis > 0) {
    // Inverse of y[n] = x[n] - k x[n-1].
    double prev = 0;
    for (float& s : w.samples) {
      prev = s + p.preemphasis * prev;
      s = static_cast<float>(prev);
    }
  }
  return w;
}

}  // namespace dubkit
