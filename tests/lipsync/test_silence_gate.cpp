// The silence gate: 0 in speech, 1 inside a pause and after the speech's end, with its fades.
// The speech is the DSP tests' tone (tests/support.hpp), whose envelope dips to zero three times
// a second: the dips (under 200 ms) are bridged. Expected edges, from audio/vad.hpp: 30 ms VAD
// frames every 10 ms, so a frame starting 10 ms before a digital silence still holds a third of
// the tone and counts as voiced; each voiced run is padded by 40 ms, then the 80 ms fade.
#include <catch2/catch.hpp>

#include "lipsync/silence_gate.hpp"
#include "support.hpp"

using namespace dubkit;

namespace {

// 1 s of tone, 1 s of digital silence, 1 s of tone.
Waveform paused_speech() {
  Waveform w = test::test_tone(16000, 1.0, 180.0);
  w.samples.resize(2 * 16000, 0.0f);
  const Waveform again = test::test_tone(16000, 1.0, 180.0);
  w.samples.insert(w.samples.end(), again.samples.begin(), again.samples.end());
  return w;
}

// One VAD hop (10 ms) of the 80 ms fade.
constexpr double kHop = 0.010 / 0.08;

}  // namespace

TEST_CASE("silence gate: closed over a 1 s pause, open in speech, faded at the edges", "[lipsync][silence]") {
  const SilenceGate gate(paused_speech(), 0.08);
  // Inside the speech, also at the envelope's dips (0.25 s, 0.583 s, 2.25 s).
  for (double t : {0.0, 0.25, 0.5, 0.583, 0.95, 2.05, 2.25, 2.9}) {
    INFO("t " << t);
    CHECK(gate.weight(t) == 0);
  }
  // Voiced until 0.99 + 0.03 + 0.04 = 1.06 s and again from 1.98 - 0.04 = 1.94 s.
  CHECK(gate.weight(1.03) == 0);
  CHECK(gate.weight(1.10) == Approx(0.5).margin(kHop));
  CHECK(gate.weight(1.14 + 0.01) == 1);
  CHECK(gate.weight(1.5) == 1);
  CHECK(gate.weight(1.86 - 0.01) == 1);
  CHECK(gate.weight(1.90) == Approx(0.5).margin(kHop));
  CHECK(gate.weight(1.97) == 0);
}

TEST_CASE("silence gate: after the speech's end is a pause (the padded tail of a longer video)", "[lipsync][silence]") {
  // 2 s of tone over, say, a 3 s video: the speech is analysed as given; it is voiced to its
  // last sample (the VAD's padding stops at the end), then the weight fades in over 80 ms.
  const SilenceGate gate(test::test_tone(16000, 2.0, 180.0), 0.08);
  CHECK(gate.weight(1.99) == 0);
  CHECK(gate.weight(2.0) == 0);
  CHECK(gate.weight(2.04) == Approx(0.5).margin(1e-9));
  CHECK(gate.weight(2.09) == 1);
  for (double t : {2.5, 2.96, 10.0}) CHECK(gate.weight(t) == 1);
  // Without a fade the tail is closed from the speech's end.
  const SilenceGate hard(test::test_tone(16000, 2.0, 180.0), 0);
  CHECK(hard.weight(1.9) == 0);
  CHECK(hard.weight(2.001) == 1);
}

TEST_CASE("silence gate: digital silence throughout is one pause", "[lipsync][silence]") {
  const SilenceGate gate(Waveform{16000, std::vector<float>(16000, 0.0f)}, 0.08);
  CHECK(gate.weight(0) == 1);
  CHECK(gate.weight(0.5) == 1);
}
