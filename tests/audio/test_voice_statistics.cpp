// Praat's pitch and formants of a vowel made here by the source-filter model (a 120 Hz pulse
// train, low-passed like a glottal source, through resonators at the five formants of a male
// /a/, Klatt 1980), so the expected values are the ones the vowel was built with, not Praat's.
#include <catch2/catch.hpp>

#include <cmath>

#include "audio/voice_statistics.hpp"
#include "core/error.hpp"

using namespace dubkit;

namespace {

// A two-pole resonator (Klatt 1980) at `freq` Hz with bandwidth `bw` Hz, applied in place.
void resonate(std::vector<float>& x, double freq, double bw, int rate) {
  const double pi = std::acos(-1.0), t = 1.0 / rate;
  const double c = -std::exp(-2 * pi * bw * t), b = 2 * std::exp(-pi * bw * t) * std::cos(2 * pi * freq * t), a = 1 - b - c;
  double y1 = 0, y2 = 0;
  for (float& s : x) {
    const double y = a * s + b * y1 + c * y2;
    y2 = y1, y1 = y;
    s = static_cast<float>(y);
  }
}

Waveform vowel(double f0, std::initializer_list<std::pair<double, double>> formants, double seconds = 1.0) {
  Waveform w;
  w.rate = 16000;
  w.samples.assign(static_cast<std::size_t>(seconds * w.rate), 0.0f);
  for (double t = 0; t < seconds; t += 1.0 / f0) w.samples[static_cast<std::size_t>(t * w.rate)] = 1.0f;
  resonate(w.samples, 0, 100, w.rate);  // the glottal source's roll-off (-12 dB per octave)
  for (auto [f, bw] : formants) resonate(w.samples, f, bw, w.rate);
  float peak = 0;
  for (float s : w.samples) peak = std::max(peak, std::abs(s));
  for (float& s : w.samples) s *= 0.5f / peak;
  return w;
}

}  // namespace

TEST_CASE("Praat finds the pitch and formants a vowel was built with", "[audio][praat]") {
  const VoiceStatistics s = praat_voice_statistics(vowel(120, {{700, 80}, {1220, 90}, {2600, 120}, {3300, 250}, {3750, 200}}), 5000);
  CHECK(s.median_f0 == Approx(120).epsilon(0.02));
  CHECK(s.f1 == Approx(700).epsilon(0.1));
  CHECK(s.f2 == Approx(1220).epsilon(0.1));
  CHECK(s.f3 == Approx(2600).epsilon(0.1));
  CHECK(s.voiced_frames > 80);
  CHECK(formant_ceiling_for(s.median_f0) == 5000);
  CHECK(formant_ceiling_for(210) == 5500);
  CHECK_THROWS_AS(praat_voice_statistics(Waveform{16000, {}}, 5000), InvalidArgument);
  CHECK_THROWS_AS(praat_voice_statistics(vowel(120, {{700, 80}}), 900), InvalidArgument);
}
