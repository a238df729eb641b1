#include "audio/mel_cepstral_distortion.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "audio/filterbank.hpp"
#include "audio/mel_preset.hpp"
#include "core/error.hpp"

namespace dubkit {

namespace {

constexpr int kMels = 80;
constexpr int kCepstra = 25;  // c_0..c_24
constexpr double kSpeechRangeLn = 4.60517;  // ln(100): 40 dB of magnitude
constexpr long kMaxDtwCells = 50000000;     // 200 MB of costs: about 5 min against 5 min

MelPreset mcd_preset(int rate) {
  MelPreset p;
  p.name = "mcd";
  p.sample_rate = rate;
  p.stft = {1024, 256, 1024, Window::Hann, true, 512, Padding::Reflect, false};
  p.power = 1.0;
  p.magnitude_eps = 1e-9;
  p.filters = {rate, 1024, kMels, 0.0, rate / 2.0, MelScale::Slaney, true};
  p.scale = FeatureScale::LnClamp;
  return p;
}

struct Cepstra {
  FeatureMatrix a, b;  // [kCepstra, frames] of the reference and the test
  double floor = 0;    // c_0 below which a reference frame is not speech
};

Cepstra cepstra(const Waveform& reference, const Waveform& test) {
  if (reference.rate != test.rate)
    throw InvalidArgument("mel-cepstral distortion: rates differ (" + std::to_string(reference.rate) + " vs " +
                          std::to_string(test.rate) + " Hz)");
  const MelAnalyzer analyzer(mcd_preset(reference.rate));
  const FeatureMatrix dct = dct2_ortho(kCepstra, kMels);
  Cepstra c{matmul(dct, analyzer.compute(reference)), matmul(dct, analyzer.compute(test)), 0};
  // c_0 / sqrt(n_mels) is the frame's mean ln magnitude.
  float loudest = -INFINITY;
  for (int t = 0; t < c.a.cols; ++t) loudest = std::max(loudest, c.a.at(0, t));
  c.floor = loudest - kSpeechRangeLn * std::sqrt(double(kMels));
  return c;
}

// dB between reference frame t and test frame u.
double frame_distance(const Cepstra& c, int t, int u) {
  double d2 = 0;
  for (int d = 1; d < kCepstra; ++d) d2 += std::pow(double(c.a.at(d, t)) - c.b.at(d, u), 2);
  return 10.0 / std::log(10.0) * std::sqrt(2.0 * d2);
}

}  // namespace

double mel_cepstral_distortion(const Waveform& reference, const Waveform& test) {
  const Cepstra c = cepstra(reference, test);
  const int frames = std::min(c.a.cols, c.b.cols);
  double sum = 0;
  int used = 0;
  for (int t = 0; t < frames; ++t) {
    if (c.a.at(0, t) < c.floor) continue;
    sum += frame_distance(c, t, t);
    ++used;
  }
  return used ? sum / used : 0.0;
}

double mel_cepstral_distortion_dtw(const Waveform& reference, const Waveform& test) {
  const Cepstra c = cepstra(reference, test);
  const long n = c.a.cols, m = c.b.cols;
  if (n * m > kMaxDtwCells)
    throw InvalidArgument("mel-cepstral distortion: " + std::to_string(n) + " x " + std::to_string(m) +
                          " frames are too many to warp (cut the audio into sentences)");
  // Cumulative cost with steps (1, 0), (0, 1), (1, 1); then the path is walked back.
  std::vector<double> cost(static_cast<std::size_t>(n * m));
  auto at = [&](long t, long u) -> double& { return cost[static_cast<std::size_t>(t * m + u)]; };
  for (long t = 0; t < n; ++t)
    for (long u = 0; u < m; ++u) {
      double best = 0;
      if (t > 0 || u > 0) {
        best = INFINITY;
        if (t > 0) best = std::min(best, at(t - 1, u));
        if (u > 0) best = std::min(best, at(t, u - 1));
        if (t > 0 && u > 0) best = std::min(best, at(t - 1, u - 1));
      }
      at(t, u) = best + frame_distance(c, static_cast<int>(t), static_cast<int>(u));
    }
  double sum = 0;
  long used = 0;
  for (long t = n - 1, u = m - 1;;) {
    if (c.a.at(0, static_cast<int>(t)) >= c.floor) sum += frame_distance(c, static_cast<int>(t), static_cast<int>(u)), ++used;
    if (t == 0 && u == 0) break;
    const double diag = t > 0 && u > 0 ? at(t - 1, u - 1) : INFINITY, up = t > 0 ? at(t - 1, u) : INFINITY,
                 left = u > 0 ? at(t, u - 1) : INFINITY;
    if (diag <= up && diag <= left) --t, --u;
    else if (up <= left) --t;
    else --u;
  }
  return used ? sum / used : 0.0;
}

}  // namespace dubkit
