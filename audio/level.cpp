#include "audio/level.hpp"

#include <ebur128.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include "core/error.hpp"

namespace dubkit {

float peak(const Waveform& w) {
  float p = 0;
  for (float s : w.samples) p = std::max(p, std::fabs(s));
  return p;
}

double integrated_loudness(const Waveform& w) {
  if (w.rate <= 0) throw InvalidArgument("integrated_loudness: sample rate not set");
  struct Closer {
    void operator()(ebur128_state* s) const { ebur128_destroy(&s); }
  };
  std::unique_ptr<ebur128_state, Closer> st(ebur128_init(1, static_cast<unsigned long>(w.rate), EBUR128_MODE_I));
  if (!st) throw Error("integrated_loudness: libebur128 refused rate " + std::to_string(w.rate));
  if (ebur128_add_frames_float(st.get(), w.samples.data(), w.samples.size()) != EBUR128_SUCCESS)
    throw Error("integrated_loudness: libebur128 failed");
  double lufs = 0;
  if (ebur128_loudness_global(st.get(), &lufs) != EBUR128_SUCCESS)
    throw Error("integrated_loudness: libebur128 failed");
  return lufs;
}

void normalize_peak(Waveform& w, double dbfs) {
  const float p = peak(w);
  if (p == 0) return;
  const float g = static_cast<float>(std::pow(10.0, dbfs / 20.0) / p);
  for (float& s : w.samples) s *= g;
}

void normalize_rms(Waveform& w, double dbfs) {
  double sum = 0;
  for (float s : w.samples) sum += double(s) * s;
  if (sum == 0) return;
  const float g = static_cast<float>(std::pow(10.0, dbfs / 20.0) / std::sqrt(sum / w.samples.size()));
  for (float& s : w.samples) s *= g;
}

void normalize_loudness(Waveform& w, double lufs) {
  const double now = integrated_loudness(w);
  if (!std::isfinite(now))
    throw FormatError("cannot normalise loudness: the audio is silent or shorter than 400 ms");
  const float g = static_cast<float>(std::pow(10.0, (lufs - now) / 20.0));
  for (float& s : w.samples) s *= g;
}

void trim_silence(Waveform& w, double top_db) {
  const std::size_t frame = std::max<std::size_t>(1, static_cast<std::size_t>(w.rate) / 40);
  const std::size_t n = w.samples.size();
  const std::size_t frames = (n + frame - 1) / frame;
  std::vector<double> power(frames, 0.0);
  double loudest = 0;
  for (std::size_t f = 0; f < frames; ++f) {
    const std::size_t end = std::min(n, (f + 1) * frame);
    double acc = 0;
    for (std::size_t i = f * frame; i < end; ++i) acc += double(w.samples[i]) * w.samples[i];
    power[f] = acc / double(end - f * frame);
    loudest = std::max(loudest, power[f]);
  }
  if (loudest == 0) {
    w.samples.clear();
    return;
  }
  const double floor = loudest * std::pow(10.0, -top_db / 10.0);
  std::size_t first = 0, last = frames;
  while (first < frames && power[first] <= floor) ++first;
  while (last > first && power[last - 1] <= floor) --last;
  const std::size_t begin = first * frame, end = std::min(n, last * frame);
  w.samples = std::vector<float>(w.samples.begin() + begin, w.samples.begin() + end);
}

}  // namespace dubkit
