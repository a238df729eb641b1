#include "audio/vad.hpp"

#include <algorithm>
#include <cmath>

namespace dubkit {

SpeechRegions detect_speech(const Waveform& wave, const VadOptions& o) {
  SpeechRegions r;
  if (wave.rate <= 0 || wave.samples.empty()) return r;
  const std::size_t win = static_cast<std::size_t>(wave.rate * 0.03), hop = static_cast<std::size_t>(wave.rate * 0.01);
  if (win == 0 || hop == 0 || wave.samples.size() < win) return r;
  const std::size_t n_frames = (wave.samples.size() - win) / hop + 1;
  std::vector<double> db(n_frames);
  for (std::size_t f = 0; f < n_frames; ++f) {
    double e = 0;
    for (std::size_t i = 0; i < win; ++i) {
      const double x = wave.samples[f * hop + i];
      e += x * x;
    }
    db[f] = 10 * std::log10(e / win + 1e-12);
  }
  std::vector<double> sorted = db;
  auto percentile = [&](double q) {
    const std::size_t k = std::min(sorted.size() - 1, static_cast<std::size_t>(q * (sorted.size() - 1)));
    std::nth_element(sorted.begin(), sorted.begin() + static_cast<long>(k), sorted.end());
    return sorted[k];
  };
  const double floor = percentile(0.10), loud = percentile(0.99);
  const double threshold = std::max({floor + o.floor_margin_db, loud - o.dynamic_range_db, o.absolute_db});
  std::vector<char> speech(n_frames);
  for (std::size_t f = 0; f < n_frames; ++f) speech[f] = db[f] > threshold;

  const auto frames = [&](double ms) { return static_cast<std::size_t>(std::lround(ms / 10.0)); };
  // Fill short gaps between speech frames.
  std::size_t last = n_frames;
  for (std::size_t f = 0; f < n_frames; ++f) {
    if (!speech[f]) continue;
    if (last != n_frames && f - last - 1 > 0 && f - last - 1 < frames(o.bridge_ms))
      std::fill(speech.begin() + static_cast<long>(last) + 1, speech.begin() + static_cast<long>(f), 1);
    last = f;
  }
  // Runs of speech frames -> sample ranges, dropping blips and padding the rest.
  const std::size_t pad = static_cast<std::size_t>(o.pad_ms * wave.rate / 1000);
  for (std::size_t f = 0; f < n_frames;) {
    if (!speech[f]) {
      ++f;
      continue;
    }
    std::size_t g = f;
    while (g < n_frames && speech[g]) ++g;
    if (g - f >= frames(o.min_run_ms)) {
      const std::size_t begin = f * hop > pad ? f * hop - pad : 0;
      const std::size_t end = std::min(wave.samples.size(), (g - 1) * hop + win + pad);
      if (!r.segments.empty() && begin <= r.segments.back().second) r.segments.back().second = end;
      else r.segments.emplace_back(begin, end);
    }
    f = g;
  }
  for (const auto& [b, e] : r.segments) r.speech_seconds += double(e - b) / wave.rate;
  return r;
}

Waveform keep_speech(const Waveform& wave, const SpeechRegions& regions) {
  Waveform out{wave.rate, {}};
  for (const auto& [b, e] : regions.segments)
    out.samples.insert(out.samples.end(), wave.samples.begin() + static_cast<long>(b), wave.samples.begin() + static_cast<long>(e));
  return out;
}

}  // namespace dubkit
