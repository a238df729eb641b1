#include "vocoder/griffin_lim.hpp"

#include <algorithm>
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

namespace {

// Columns [first, last) of m; columns past m's end are zero.
FeatureMatrix columns_of(const FeatureMatrix& m, int first, int last) {
  FeatureMatrix out(m.rows, last - first);
  const int have = std::min(last, m.cols);
  for (int r = 0; r < m.rows; ++r)
    std::copy(m.data.begin() + static_cast<long>(r) * m.cols + first, m.data.begin() + static_cast<long>(r) * m.cols + have,
              out.data.begin() + static_cast<long>(r) * out.cols);
  return out;
}

}  // namespace

void griffin_lim_blocks(const FeatureMatrix& features, const MelAnalyzer& analyzer, const GriffinLimConfig& config,
                        int block_frames, int context_frames,
                        const std::function<void(const std::vector<float>&)>& on_audio) {
  if (context_frames < 2 || block_frames < context_frames)
    throw InvalidArgument("streaming Griffin-Lim: need context_frames >= 2 and block_frames >= context_frames");
  // Griffin-Lim needs a few frames to reconstruct anything: shorter spans are padded with the
  // span's quietest column and the padding's audio dropped.
  constexpr int kMinFrames = 4;
  const int hop = analyzer.preset().stft.hop, total = features.cols;
  const std::size_t fade = static_cast<std::size_t>(context_frames / 2) * hop;
  std::vector<float> tail;  // the previous block's audio past its boundary, to crossfade
  for (int begin = 0; begin < total; begin += block_frames) {
    const int end = std::min(total, begin + block_frames);
    const int from = std::max(0, begin - context_frames), to = std::min(total, end + context_frames);
    FeatureMatrix span = columns_of(features, from, std::max(to, from + kMinFrames));
    if (to - from < kMinFrames) {
      const float quietest = *std::min_element(span.data.begin(), span.data.end());
      for (int r = 0; r < span.rows; ++r)
        for (int c = to - from; c < span.cols; ++c) span.at(r, c) = quietest;
    }
    Waveform w = griffin_lim_from_features(span, analyzer, config);
    w.samples.resize(static_cast<std::size_t>(to - from) * hop, 0.0f);
    // This block's audio from (boundary - fade/2) on; the previous block supplied up to
    // (boundary + fade/2), so the first `fade` samples are mixed with its tail.
    const std::size_t offset = static_cast<std::size_t>(begin - from) * hop;
    const std::size_t start = begin == 0 ? 0 : offset - fade / 2;
    const std::size_t stop = end == total ? w.samples.size() : static_cast<std::size_t>(end - from) * hop - fade / 2;
    std::vector<float> piece(w.samples.begin() + static_cast<long>(start), w.samples.begin() + static_cast<long>(stop));
    // Equal-power fade: the two blocks' phases are unrelated, so their sum adds powers.
    for (std::size_t i = 0; i < tail.size() && i < piece.size(); ++i) {
      const double a = 0.5 * M_PI * (i + 0.5) / tail.size();
      piece[i] = static_cast<float>(std::sin(a) * piece[i] + std::cos(a) * tail[i]);
    }
    if (end < total) {
      const auto t0 = w.samples.begin() + static_cast<long>(stop);
      tail.assign(t0, t0 + static_cast<long>(std::min(fade, w.samples.size() - stop)));
    }
    on_audio(piece);
  }
}

}  // namespace dubkit
