// Voice-activity detection on generated signals with known speech regions.
#include <catch2/catch.hpp>

#include "audio/vad.hpp"
#include "support.hpp"

using namespace dubkit;

namespace {
Waveform bursts(double noise_level) {
  // 1 s silence, 1.5 s tone, 1 s silence, 0.5 s tone, 1 s silence (5 s at 16 kHz), over noise.
  Waveform w{16000, std::vector<float>(16000 * 5, 0.0f)};
  const Waveform tone = test::test_tone(16000, 1.5, 180.0);
  for (std::size_t i = 0; i < 24000; ++i) w.samples[16000 + i] = 0.5f * tone.samples[i];
  for (std::size_t i = 0; i < 8000; ++i) w.samples[56000 + i] = 0.5f * tone.samples[i];
  std::uint32_t s = 7;
  for (float& x : w.samples) x += noise_level * (static_cast<float>((s = s * 1664525u + 1013904223u) >> 8) / 16777216.0f - 0.5f);
  return w;
}
}  // namespace

TEST_CASE("VAD finds the speech between silences", "[audio][vad]") {
  for (double noise : {0.0, 1e-3}) {
    INFO("noise " << noise);
    const SpeechRegions r = detect_speech(bursts(noise));
    REQUIRE(r.segments.size() == 2);
    // Each region holds its burst, padded by at most 40 ms + one 30 ms frame.
    CHECK(r.segments[0].first <= 16000u);
    CHECK(r.segments[0].first >= 16000u - 1200);
    CHECK(r.segments[0].second >= 40000u);
    CHECK(r.segments[0].second <= 40000u + 1200);
    CHECK(r.segments[1].first <= 56000u);
    CHECK(r.segments[1].second >= 64000u);
    // 2 s of tone, plus per region 2 x 40 ms padding and the 20 ms a 30 ms frame overhangs its hop.
    CHECK(r.speech_seconds == Approx(2.2).margin(0.06));
    CHECK(keep_speech(bursts(noise), r).seconds() == Approx(r.speech_seconds));
  }
}

TEST_CASE("VAD: short pauses are bridged, silence is empty", "[audio][vad]") {
  Waveform w = test::test_tone(16000, 2.0, 200.0);
  std::fill(w.samples.begin() + 16000, w.samples.begin() + 18400, 0.0f);  // a 150 ms pause
  CHECK(detect_speech(w).segments.size() == 1);
  CHECK(detect_speech(Waveform{16000, std::vector<float>(32000, 0.0f)}).segments.empty());
  CHECK(detect_speech(Waveform{16000, {}}).speech_seconds == 0);
}
