// Text -> speech through a tiny untrained synthesizer: the plumbing (sentences, symbols,
// duration targets, streaming, errors), not the voice quality (that is `dubkit synth eval`).
#include <catch2/catch.hpp>

#include <set>

#include "core/error.hpp"
#include "support.hpp"
#include "synth/front_end.hpp"
#include "synth/synthesizer.hpp"
#include "synth/tiny_synthesizer.hpp"
#include "synth/tts.hpp"

using namespace dubkit;

namespace {

const std::string kText = "The boat left early. It came back at noon!";

// A tiny random synthesizer whose symbol table holds the phones of kText (English) and of a
// Spanish sentence, minus `drop`.
std::string tiny_model(const std::string& drop = "") {
  std::set<std::string> phones;
  for (const std::string& s : split_text(kText))
    for (const std::string& p : sentence_phones(s, "en").phones) phones.insert(p);
  for (const std::string& p : sentence_phones("Hola amigo.", "es").phones) phones.insert(p);
  phones.erase(drop);
  const std::string path = test::temp_dir("tts") + "/tiny" + drop + ".safetensors";
  test::write_tiny_synthesizer(path, phones, {"en", "es"});
  return path;
}

const std::vector<float> kSpeaker = {0.5f, 0.5f, 0.5f, 0.5f};

std::string error_of(TextToSpeech& tts, const std::string& text, const SayOptions& o,
                     const std::vector<float>& speaker = kSpeaker) {
  try {
    tts.plan(text, speaker, o);
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("say: audio streamed in one-second pieces, sentence by sentence, repeatable", "[synth][tts]") {
  TextToSpeech tts(tiny_model());
  SayOptions o;
  const auto vocoder = open_vocoder("griffinlim", 4);
  std::vector<std::size_t> pieces;
  Waveform all;
  const SayReport r = tts.say(kText, kSpeaker, o, *vocoder, [&](const Waveform& w) {
    CHECK(w.rate == 16000);
    pieces.push_back(w.samples.size());
    all.samples.insert(all.samples.end(), w.samples.begin(), w.samples.end());
  });
  REQUIRE(r.sentences.size() == 2);
  std::size_t expected_pieces = 0, expected_samples = 0;
  for (const SentencePlan& s : r.sentences) {
    expected_pieces += static_cast<std::size_t>((s.durations.total_frames + 79) / 80);
    expected_samples += static_cast<std::size_t>(s.durations.total_frames) * 200;
  }
  CHECK(pieces.size() == expected_pieces);
  CHECK(all.samples.size() == expected_samples);
  CHECK(r.seconds == Approx(expected_samples / 16000.0));
  CHECK(r.sentences[0].phones.front() == "_");
  CHECK(r.first_audio_seconds > 0);
  CHECK(r.first_audio_seconds < r.wall_seconds);
  Waveform again;
  tts.say(kText, kSpeaker, o, *vocoder, [&](const Waveform& w) { again.samples.insert(again.samples.end(), w.samples.begin(), w.samples.end()); });
  CHECK(again.samples == all.samples);
}

TEST_CASE("say: a target duration is met for stretches 0.8x to 1.25x", "[synth][tts]") {
  TextToSpeech tts(tiny_model());
  SayOptions o;
  const auto vocoder = open_vocoder("griffinlim", 2);
  double natural = 0;
  for (const SentencePlan& p : tts.plan(kText, kSpeaker, o))
    for (double f : p.predicted_frames) natural += f / tts.frames_per_second();
  for (double stretch : {0.8, 1.0, 1.25}) {
    o.durations.total_seconds = natural * stretch;
    std::size_t samples = 0;
    tts.say(kText, kSpeaker, o, *vocoder, [&](const Waveform& w) { samples += w.samples.size(); });
    INFO("stretch " << stretch << ", target " << o.durations.total_seconds);
    CHECK(std::abs(samples / 16000.0 - o.durations.total_seconds) / o.durations.total_seconds < 0.02);
    // Two sentences, and still the target's own frame count: shares are cut in whole frames.
    CHECK(samples == static_cast<std::size_t>(std::lround(o.durations.total_seconds * 80)) * 200);
  }
}

TEST_CASE("say: bad input gives a clear error", "[synth][tts][bad-input]") {
  TextToSpeech tts(tiny_model());
  SayOptions o;
  CHECK(error_of(tts, "  \n ", o) == "the text is empty");
  o.lang = "fr";
  CHECK(error_of(tts, kText, o).find("language 'fr' is not one the synthesizer") != std::string::npos);
  CHECK(error_of(tts, kText, o).find("(en, es)") != std::string::npos);
  o.lang = "en";
  CHECK(error_of(tts, kText, o, {1.0f}).find("has 1 values, the synthesizer needs 4") != std::string::npos);
  o.durations.total_seconds = 0;
  CHECK(error_of(tts, kText, o).find("target duration 0") != std::string::npos);
  o.durations.total_seconds = 3600;
  CHECK(error_of(tts, kText, o).find("600") != std::string::npos);
  o.durations.total_seconds = -1;
  o.durations.phone_seconds = {{2, 0.1}};
  CHECK(error_of(tts, kText, o).find("need a text of one sentence") != std::string::npos);

  // A phone the model has no symbol for is named.
  const SentencePhones first = sentence_phones("The boat left early.", "en");
  const std::string dropped = first.phones[2];
  TextToSpeech lacking(tiny_model(dropped));
  CHECK(error_of(lacking, "The boat left early.", SayOptions{}).find("'" + dropped + "'") != std::string::npos);
}

TEST_CASE("the front end speaks the phones the corpus engines speak", "[synth]") {
  const SentencePhones p = sentence_phones("Two boats.", "en");
  CHECK(p.normalized == "Two boats.");
  CHECK(p.phones.front() == "_");
  CHECK(std::find(p.phones.begin(), p.phones.end(), "b") != p.phones.end());
  CHECK_THROWS_AS(sentence_phones("", "en"), InvalidArgument);
}
