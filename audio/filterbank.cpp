#include "audio/filterbank.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace dubkit {

namespace {

// Slaney's Auditory Toolbox scale: linear to 1 kHz (200/3 Hz per mel), logarithmic above.
constexpr double kSlaneyStep = 200.0 / 3.0;
constexpr double kSlaneyBreakHz = 1000.0;
constexpr double kSlaneyBreakMel = kSlaneyBreakHz / kSlaneyStep;  // 15
const double kSlaneyLogStep = std::log(6.4) / 27.0;

double hz_to_mel(double hz, MelScale s) {
  if (s == MelScale::Htk) return 2595.0 * std::log10(1.0 + hz / 700.0);
  if (hz < kSlaneyBreakHz) return hz / kSlaneyStep;
  return kSlaneyBreakMel + std::log(hz / kSlaneyBreakHz) / kSlaneyLogStep;
}

double mel_to_hz(double mel, MelScale s) {
  if (s == MelScale::Htk) return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0);
  if (mel < kSlaneyBreakMel) return mel * kSlaneyStep;
  return kSlaneyBreakHz * std::exp(kSlaneyLogStep * (mel - kSlaneyBreakMel));
}

}  // namespace

void MelFilterbankSpec::validate() const {
  auto bad = [](const std::string& what) { throw InvalidArgument("mel filterbank: " + what); };
  if (sample_rate <= 0) bad("sample_rate must be positive");
  if (n_fft < 2) bad("n_fft must be at least 2");
  if (n_mels < 1) bad("n_mels must be at least 1");
  if (fmin < 0 || fmax <= fmin) bad("need 0 <= fmin < fmax");
  if (fmax > sample_rate / 2.0 + 1e-9) bad("fmax " + std::to_string(fmax) + " is above Nyquist");
}

FeatureMatrix mel_filterbank(const MelFilterbankSpec& spec) {
  spec.validate();
  const int bins = spec.n_fft / 2 + 1;
  std::vector<double> fft_hz(bins);
  for (int k = 0; k < bins; ++k) fft_hz[k] = k * (spec.sample_rate / 2.0) / (bins - 1);
  // n_mels + 2 corner frequencies, evenly spaced in mel.
  const double lo = hz_to_mel(spec.fmin, spec.scale), hi = hz_to_mel(spec.fmax, spec.scale);
  std::vector<double> corner(spec.n_mels + 2);
  for (int i = 0; i < spec.n_mels + 2; ++i)
    corner[i] = mel_to_hz(lo + (hi - lo) * i / (spec.n_mels + 1), spec.scale);

  FeatureMatrix fb(spec.n_mels, bins);
  for (int m = 0; m < spec.n_mels; ++m) {
    const double left = corner[m], centre = corner[m + 1], right = corner[m + 2];
    const double norm = spec.slaney_norm ? 2.0 / (right - left) : 1.0;
    for (int k = 0; k < bins; ++k) {
      const double rising = (fft_hz[k] - left) / (centre - left);
      const double falling = (right - fft_hz[k]) / (right - centre);
      fb.at(m, k) = static_cast<float>(std::max(0.0, std::min(rising, falling)) * norm);
    }
  }
  return fb;
}

FeatureMatrix speech_features_filterbank(int n_filters, int n_fft, int sample_rate, double fmin,
                                         double fmax) {
  MelFilterbankSpec check{sample_rate, n_fft, n_filters, fmin, fmax, MelScale::Htk, false};
  check.validate();
  const double lo = hz_to_mel(fmin, MelScale::Htk), hi = hz_to_mel(fmax, MelScale::Htk);
  std::vector<int> bin(n_filters + 2);
  for (int i = 0; i < n_filters + 2; ++i) {
    const double hz = mel_to_hz(lo + (hi - lo) * i / (n_filters + 1), MelScale::Htk);
    bin[i] = static_cast<int>(std::floor((n_fft + 1) * hz / sample_rate));
  }
  FeatureMatrix fb(n_filters, n_fft / 2 + 1);
  for (int j = 0; j < n_filters; ++j) {
    for (int i = bin[j]; i < bin[j + 1]; ++i)
      fb.at(j, i) = static_cast<float>(double(i - bin[j]) / (bin[j + 1] - bin[j]));
    for (int i = bin[j + 1]; i < bin[j + 2]; ++i)
      fb.at(j, i) = static_cast<float>(double(bin[j + 2] - i) / (bin[j + 2] - bin[j + 1]));
  }
  return fb;
}

FeatureMatrix dct2_ortho(int n_out, int n_in) {
  if (n_out < 1 || n_in < 1 || n_out > n_in)
    throw InvalidArgument("DCT: need 1 <= n_out (" + std::to_string(n_out) + ") <= n_in (" +
                          std::to_string(n_in) + ")");
  FeatureMatrix d(n_out, n_in);
  for (int k = 0; k < n_out; ++k) {
    const double scale = std::sqrt((k == 0 ? 1.0 : 2.0) / n_in);
    for (int n = 0; n < n_in; ++n)
      d.at(k, n) = static_cast<float>(scale * std::cos(M_PI * k * (2.0 * n + 1) / (2.0 * n_in)));
  }
  return d;
}

FeatureMatrix matmul(const FeatureMatrix& a, const FeatureMatrix& b) {
  if (a.cols != b.rows)
    throw InvalidArgument("matmul: [" + std::to_string(a.rows) + ", " + std::to_string(a.cols) +
                          "] @ [" + std::to_string(b.rows) + ", " + std::to_string(b.cols) + "]");
  FeatureMatrix out(a.rows, b.cols);
  for (int i = 0; i < a.rows; ++i) {
    // Pointer arithmetic, not &v[i]: b may have zero columns (an empty vector).
    float* o = out.data.data() + static_cast<std::size_t>(i) * b.cols;
    for (int k = 0; k < a.cols; ++k) {
      const float w = a.at(i, k);
      if (w == 0.0f) continue;
      const float* r = b.data.data() + static_cast<std::size_t>(k) * b.cols;
      for (int j = 0; j < b.cols; ++j) o[j] += w * r[j];
    }
  }
  return out;
}

void power_to_db(FeatureMatrix& s, double amin, double top_db) {
  float top = -std::numeric_limits<float>::infinity();
  for (float& v : s.data) {
    v = static_cast<float>(10.0 * std::log10(std::max<double>(v, amin)));
    top = std::max(top, v);
  }
  if (top_db > 0)
    for (float& v : s.data) v = std::max(v, static_cast<float>(top - top_db));
}

}  // namespace dubkit
