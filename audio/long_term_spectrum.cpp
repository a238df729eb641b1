#include "audio/long_term_spectrum.hpp"

#include <algorithm>
#include <cmath>

#include "audio/stft.hpp"
#include "core/error.hpp"

namespace dubkit {

namespace {
constexpr int kFft = 2048;
}

std::vector<double> long_term_spectrum(const Waveform& wave) {
  if (wave.samples.size() < static_cast<std::size_t>(kFft))
    throw FormatError("long-term spectrum: " + std::to_string(wave.samples.size()) + " samples, fewer than one " +
                      std::to_string(kFft) + "-sample window");
  const Stft stft({kFft, kFft / 4, kFft, Window::Hann, true, kFft / 2, Padding::Zero, false});
  std::vector<double> sum(kFft / 2 + 1, 0.0);
  int frames = 0;
  stft.for_each_power(wave.samples.data(), wave.samples.size(), [&](int, const float* power) {
    for (std::size_t k = 0; k < sum.size(); ++k) sum[k] += power[k];
    ++frames;
  });
  for (double& v : sum) v /= std::max(frames, 1);
  return sum;
}

double band_share_db(const Waveform& wave, double lo_hz, double hi_hz) {
  if (!(lo_hz >= 0 && lo_hz < hi_hz))
    throw InvalidArgument("band_share_db: band [" + std::to_string(lo_hz) + ", " + std::to_string(hi_hz) + ") Hz is empty");
  const std::vector<double> ltas = long_term_spectrum(wave);
  double band = 0, all = 0;
  for (std::size_t k = 0; k < ltas.size(); ++k) {
    const double hz = double(k) * wave.rate / kFft;
    all += ltas[k];
    if (hz >= lo_hz && hz < hi_hz) band += ltas[k];
  }
  if (all <= 0 || band <= 0) return -200.0;
  return 10.0 * std::log10(band / all);
}

}  // namespace dubkit
