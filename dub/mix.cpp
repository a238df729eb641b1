#include "dub/mix.hpp"

#include <algorithm>
#include <cmath>

#include "audio/level.hpp"
#include "audio/resample.hpp"
#include "core/error.hpp"

namespace dubkit {

void MixOptions::validate() const {
  if (rate < 8000 || rate > 192000) throw InvalidArgument("mix: rate must be in 8000..192000 Hz");
  if (!(target_lufs >= -70 && target_lufs <= -5)) throw InvalidArgument("--loudness must be in [-70, -5] LUFS");
  if (!(max_peak_dbfs <= 0 && max_peak_dbfs >= -20)) throw InvalidArgument("--max-peak must be in [-20, 0] dBFS");
  if (!(duck_db >= 0 && duck_db <= 60)) throw InvalidArgument("--keep-original-audio-under must be in [0, 60] dB");
  if (!(duck_ramp >= 0 && duck_ramp <= 2)) throw InvalidArgument("mix: duck ramp must be in [0, 2] s");
}

Waveform mix_dub(const Waveform& dialogue, const Waveform& bed, const std::vector<std::pair<double, double>>& duck_spans,
                 double seconds, const MixOptions& o, MixReport& report) {
  o.validate();
  Waveform out{o.rate, std::vector<float>(static_cast<std::size_t>(std::lround(std::max(0.0, seconds) * o.rate)), 0.f)};
  const std::size_t n = out.samples.size();
  if (!bed.samples.empty()) {
    const Waveform b = resample(bed, o.rate);
    for (std::size_t i = 0; i < std::min(n, b.samples.size()); ++i) out.samples[i] = b.samples[i];
    if (o.duck_db > 0) {
      // Each sample's gain is the lowest any span asks of it, ramps included.
      std::vector<float> gain(n, 1.f);
      const float low = static_cast<float>(std::pow(10.0, -o.duck_db / 20));
      const double ramp = std::max(o.duck_ramp, 1.0 / o.rate);
      for (const auto& [s, e] : duck_spans) {
        const long a = std::lround((s - ramp) * o.rate), z = std::lround((e + ramp) * o.rate);
        for (long i = std::max(0L, a); i < std::min<long>(z, static_cast<long>(n)); ++i) {
          const double t = double(i) / o.rate;
          const double depth = std::clamp(std::min(t - (s - ramp), (e + ramp) - t) / ramp, 0.0, 1.0);
          gain[i] = std::min(gain[i], static_cast<float>(1.0 - depth * (1.0 - low)));
        }
      }
      for (std::size_t i = 0; i < n; ++i) out.samples[i] *= gain[i];
    }
  }
  const Waveform d = resample(dialogue, o.rate);
  for (std::size_t i = 0; i < std::min(n, d.samples.size()); ++i) out.samples[i] += d.samples[i];

  report = {};
  const double loudness = integrated_loudness(out);
  if (!std::isfinite(loudness)) {
    report.loudness_lufs = loudness;
    report.peak_dbfs = -INFINITY;
    return out;
  }
  double gain_db = o.target_lufs - loudness;
  const double pk = peak(out);
  if (pk > 0 && 20 * std::log10(pk) + gain_db > o.max_peak_dbfs) {
    gain_db = o.max_peak_dbfs - 20 * std::log10(pk);
    report.peak_limited = true;
  }
  const float g = static_cast<float>(std::pow(10.0, gain_db / 20));
  for (float& v : out.samples) v *= g;
  report.gain_db = gain_db;
  report.loudness_lufs = integrated_loudness(out);
  report.peak_dbfs = 20 * std::log10(std::max(1e-12f, peak(out)));
  return out;
}

}  // namespace dubkit
