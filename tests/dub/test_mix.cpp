// The dub's mix: beds, ducking, loudness and the peak ceiling (dub/mix.hpp). Signals made here.
#include <catch2/catch.hpp>

#include <cmath>

#include "audio/level.hpp"
#include "dub/mix.hpp"

using namespace dubkit;

namespace {

Waveform tone(int rate, double seconds, double hz, double amplitude, double from = 0, double to = 1e9) {
  Waveform w{rate, std::vector<float>(static_cast<std::size_t>(seconds * rate), 0.f)};
  for (std::size_t i = 0; i < w.samples.size(); ++i) {
    const double t = double(i) / rate;
    if (t >= from && t < to) w.samples[i] = static_cast<float>(amplitude * std::sin(2 * M_PI * hz * t));
  }
  return w;
}

double rms(const Waveform& w, double from, double to) {
  double s = 0;
  long n = 0;
  for (long i = std::lround(from * w.rate); i < std::lround(to * w.rate); ++i) s += double(w.samples[i]) * w.samples[i], ++n;
  return std::sqrt(s / n);
}

}  // namespace

TEST_CASE("mix: dialogue alone at -23 LUFS, 48 kHz, the requested length", "[dub]") {
  const Waveform dialogue = tone(16000, 4.0, 440, 0.1, 1.0, 3.0);
  MixReport r;
  const Waveform m = mix_dub(dialogue, {}, {}, 5.0, MixOptions{}, r);
  CHECK(m.rate == 48000);
  CHECK(m.samples.size() == 5 * 48000);
  CHECK(r.loudness_lufs == Approx(-23).margin(0.05));
  CHECK(integrated_loudness(m) == Approx(-23).margin(0.05));
  CHECK_FALSE(r.peak_limited);
  CHECK(rms(m, 3.5, 5.0) == 0.0);  // padded with silence
}

TEST_CASE("mix: the peak ceiling stops the gain, and says so", "[dub]") {
  // A short loud click in near silence: -23 LUFS would push it far past full scale.
  Waveform d = tone(48000, 3.0, 1000, 0.001);
  for (int i = 0; i < 48; ++i) d.samples[48000 + i] = 0.9f;
  MixOptions o;
  o.max_peak_dbfs = -1;
  MixReport r;
  const Waveform m = mix_dub(d, {}, {}, 3.0, o, r);
  CHECK(r.peak_limited);
  CHECK(r.peak_dbfs == Approx(-1).margin(0.01));
  CHECK(r.loudness_lufs < -23);
  CHECK(20 * std::log10(peak(m)) == Approx(-1).margin(0.01));
}

TEST_CASE("mix: the original bed is ducked under the lines only", "[dub]") {
  const Waveform original = tone(44100, 6.0, 200, 0.2);
  const Waveform dialogue = tone(16000, 6.0, 1000, 0.0);  // silent dialogue: the bed alone is measured
  MixOptions o;
  o.duck_db = 20;
  o.target_lufs = -23;
  MixReport r;
  const Waveform m = mix_dub(dialogue, original, {{2.0, 4.0}}, 6.0, o, r);
  const double under = rms(m, 2.5, 3.5), between = rms(m, 0.2, 1.5);
  CHECK(20 * std::log10(under / between) == Approx(-20).margin(0.2));
  CHECK(rms(m, 4.5, 5.8) == Approx(between).epsilon(0.01));
  // The ramp: halfway down 75 ms before the line.
  CHECK(rms(m, 1.92, 1.93) < between);
  CHECK(rms(m, 1.92, 1.93) > under);
}

TEST_CASE("mix: a background stem plays as it is, silence stays silence", "[dub]") {
  MixReport r;
  const Waveform bed = tone(48000, 2.0, 300, 0.05);
  const Waveform m = mix_dub(Waveform{16000, std::vector<float>(32000, 0.f)}, bed, {{0.5, 1.0}}, 2.0, MixOptions{}, r);
  CHECK(rms(m, 0.6, 0.9) == Approx(rms(m, 1.2, 1.9)).epsilon(0.01));  // no ducking without duck_db
  const Waveform quiet = mix_dub(Waveform{16000, std::vector<float>(32000, 0.f)}, {}, {}, 2.0, MixOptions{}, r);
  CHECK(std::isinf(r.loudness_lufs));
  CHECK(peak(quiet) == 0.f);
}
