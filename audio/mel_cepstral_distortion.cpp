#include "audio/mel_cepstral_distortion.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "audio/filterbank.hpp"
#include "audio/mel_preset.hpp"
#include "core/error.hpp"

namespace dubkit {

namespace {

constexpr int kMels = 80;
constexpr int kCepstra = 25;  // c_0..c_24
constexpr double kSpeechRangeLn = 4.60517;  // ln(100): 40 dB of magnitude

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

}  // namespace

double mel_cepstral_distortion(const Waveform& reference, const Waveform& test) {
  if (reference.rate != test.rate)
    throw InvalidArgument("mel-cepstral distortion: rates differ (" + std::to_string(reference.rate) + " vs " +
                          std::to_string(test.rate) + " Hz)");
  const MelAnalyzer analyzer(mcd_preset(reference.rate));
  const FeatureMatrix dct = dct2_ortho(kCepstra, kMels);
  const FeatureMatrix a = matmul(dct, analyzer.compute(reference)), b = matmul(dct, analyzer.compute(test));
  const int frames = std::min(a.cols, b.cols);
  // c_0 / sqrt(n_mels) is the frame's mean ln magnitude.
  float loudest = -INFINITY;
  for (int t = 0; t < frames; ++t) loudest = std::max(loudest, a.at(0, t));
  const double floor = loudest - kSpeechRangeLn * std::sqrt(double(kMels));
  double sum = 0;
  int used = 0;
  for (int t = 0; t < frames; ++t) {
    if (a.at(0, t) < floor) continue;
    double d2 = 0;
    for (int d = 1; d < kCepstra; ++d) d2 += std::pow(double(a.at(d, t)) - b.at(d, t), 2);
    sum += 10.0 / std::log(10.0) * std::sqrt(2.0 * d2);
    ++used;
  }
  return used ? sum / used : 0.0;
}

}  // namespace dubkit
