// Keyword spotting on statements flite reads inside the test (seeded): the words said are heard
// ahead of the other candidates, other words and missing words are not.
// Measured (build/tests/test_voice "keyword spotting*" -s, Debian 12's flite 2.2 and
// pocketsphinx 0.8+5prealpha+1-15), score/margin in nats per frame: said words score -0.65 to
// -7.8 with margins 0.73 (flite-kal16 "dinner") to 13; each substituted word found scores -4.2 to
// -13.7 with margins -2.4 to -7.6.
#include <catch2/catch.hpp>

#include <algorithm>

#include "audio/io.hpp"
#include "core/error.hpp"
#include "corpus/engines.hpp"
#include "voice/keyword_spotter.hpp"

using namespace dubkit;

namespace {

KeywordSpotter& spotter() {
  static KeywordSpotter s;
  return s;
}

BaseVoice flite_voice(const std::string& id) {
  for (const BaseVoice& v : base_voices({"en"}))
    if (v.id == id) return v;
  throw InvalidArgument("no base voice " + id);
}

const std::string kStatement =
    "I am Peter Brown, and I agree that Harbor Sound may use recordings of my voice to make a synthetic voice. "
    "My challenge words are ";

// Heard as the consent check hears a challenge word: found, and ahead of every other candidate.
bool heard(const SpottedWord& w) { return w.found && w.margin > 0; }

std::string scores(const std::vector<SpottedWord>& words) {
  std::string s;
  for (const SpottedWord& w : words)
    s += w.word + (w.found ? " " + std::to_string(w.score) + "/" + std::to_string(w.margin) : " -") + "  ";
  return s;
}

}  // namespace

TEST_CASE("keyword spotting: the challenge words said are heard, others and missing ones are not", "[voice][asr]") {
  const std::vector<std::string> said{"basket", "dinner", "hammer", "monkey"}, other{"finger", "winter", "marble", "pencil"};
  const std::vector<std::string> cohort{"basket", "dinner", "hammer", "monkey", "finger", "winter", "marble", "pencil",
                                        "copper", "garden", "rocket", "violin", "turtle", "planet", "ladder", "sugar"};
  for (const char* id : {"flite-slt", "flite-awb", "flite-rms", "flite-kal16"}) {
    INFO(id);
    const Waveform genuine = speak(flite_voice(id), kStatement + "basket, dinner, hammer, monkey.", 1).wave;
    const auto said_back = spotter().spot_in_order(genuine, "challenge words", said, cohort);
    const auto substituted = spotter().spot_in_order(genuine, "challenge words", other, cohort);
    const Waveform cut = speak(flite_voice(id), kStatement + ".", 1).wave;
    const auto missing = spotter().spot_in_order(cut, "challenge words", said, cohort);
    INFO(id << " said: " << scores(said_back) << "| other: " << scores(substituted) << "| cut: " << scores(missing));
    CHECK(std::all_of(said_back.begin(), said_back.end(), heard));
    CHECK(std::none_of(substituted.begin(), substituted.end(), heard));
    CHECK(std::none_of(missing.begin(), missing.end(), [](const SpottedWord& w) { return w.found; }));
  }
}
