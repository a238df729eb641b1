// The corpus builder end to end on a tiny corpus, and its parts.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "audio/io.hpp"
#include "audio/long_term_spectrum.hpp"
#include "core/error.hpp"
#include "corpus/builder.hpp"
#include "corpus/engines.hpp"
#include "corpus/manifest.hpp"
#include "corpus/perturb.hpp"
#include "corpus/texts.hpp"
#include "support.hpp"

using namespace dubkit;
namespace fs = std::filesystem;

using test::slurp;

namespace {

CorpusOptions tiny(const std::string& dir) {
  CorpusOptions o;
  o.out_dir = dir;
  o.hours = 0.012;  // 43 s: about 5 s per speaker
  o.speakers = 9;   // 3 per language: one each of train, val, test
  o.seed = 5;
  o.rates = {16000, 22050};
  return o;
}

}  // namespace

TEST_CASE("a tiny corpus: manifest, audio, phone timings, speaker split", "[corpus]") {
  const std::string dir = test::temp_dir("corpus_tiny");
  const auto summary = build_corpus(tiny(dir));
  const std::vector<CorpusUtterance> m = read_manifest(dir);
  REQUIRE(m.size() == summary["utterances"].get<std::size_t>());
  REQUIRE(summary["speakers"].get<int>() == 9);

  std::map<std::string, std::set<std::string>> splits_of_speaker;
  std::map<std::string, std::set<std::string>> speakers_of_split;
  std::set<std::string> langs;
  for (const CorpusUtterance& u : m) {
    INFO(u.id);
    splits_of_speaker[u.speaker].insert(u.split);
    speakers_of_split[u.split].insert(u.speaker);
    langs.insert(u.lang);
    const AudioInfo info = probe_audio(dir + "/" + u.path);
    CHECK(info.rate == 16000);
    CHECK(info.channels == 1);
    CHECK(std::abs(info.seconds() - u.duration) < 1e-3);
    const AudioInfo info22 = probe_audio(corpus_audio_path(dir, u, 22050));
    CHECK(info22.rate == 22050);
    CHECK(std::abs(info22.seconds() - u.duration) < 2e-3);
    // The 22050 Hz copy is made from the engine's own audio: espeak-ng's (22050 Hz) keeps its
    // band above 8 kHz, flite's (16 kHz) has none.
    const bool flite = u.base_voice.rfind("flite", 0) == 0;
    CHECK(u.source_rate == (flite ? 16000 : 22050));
    const double top_band = band_share_db(read_mono(corpus_audio_path(dir, u, 22050)), 8500, 11025);
    if (flite) CHECK(top_band < -60);
    else CHECK(top_band > -50);
    CHECK(!u.text.empty());
    CHECK(!u.phonemes.empty());
    // Phones tile the utterance in order: no gaps, no overlaps, ending where the audio ends.
    REQUIRE(u.phones.size() >= 3);
    CHECK(u.phones.front().start == Approx(0).margin(1e-3));
    for (std::size_t i = 0; i < u.phones.size(); ++i) {
      CHECK(u.phones[i].end >= u.phones[i].start);
      if (i > 0) CHECK(u.phones[i].start == Approx(u.phones[i - 1].end).margin(1e-3));
    }
    CHECK(u.phones.back().end == Approx(u.duration).margin(1e-3));
    int spoken = 0;
    for (const PhoneSpan& p : u.phones) spoken += p.phone != "_";
    CHECK(spoken >= 3);
  }
  CHECK(langs == std::set<std::string>{"en", "es", "de"});
  CHECK_THROWS_WITH(corpus_audio_path(dir, m.front(), 24000), Catch::Contains("--rates 16000,24000"));
  for (const auto& [speaker, splits] : splits_of_speaker) CHECK(splits.size() == 1);  // split BY speaker
  CHECK(speakers_of_split["train"].size() == 3);
  CHECK(speakers_of_split["val"].size() == 3);
  CHECK(speakers_of_split["test"].size() == 3);
  for (const std::string lang : {"en", "es", "de"}) {
    const std::string held = slurp(dir + "/heldout_sentences." + lang + ".txt");
    CHECK(!held.empty());
    for (const CorpusUtterance& u : m)
      if (u.lang == lang) CHECK(held.find(u.text + "\n") == std::string::npos);  // held-out text never spoken
  }

  SECTION("deterministic for a seed, and resumable") {
    const std::string again = test::temp_dir("corpus_tiny_again");
    build_corpus(tiny(again));
    CHECK(slurp(again + "/manifest.jsonl") == slurp(dir + "/manifest.jsonl"));
    CHECK(slurp(again + "/" + m[1].path) == slurp(dir + "/" + m[1].path));

    // Interrupt: lose two utterances; a re-run makes exactly those again, the same.
    const auto kept_time = fs::last_write_time(again + "/" + m[0].path);
    for (int k : {1, 2}) {
      fs::remove(again + "/" + m[k].path);
      fs::remove(again + "/wav/" + m[k].speaker + "/" + m[k].id + ".json");
    }
    build_corpus(tiny(again));
    CHECK(fs::last_write_time(again + "/" + m[0].path) == kept_time);
    CHECK(slurp(again + "/manifest.jsonl") == slurp(dir + "/manifest.jsonl"));
    CHECK(slurp(again + "/" + m[1].path) == slurp(dir + "/" + m[1].path));
  }
}

TEST_CASE("corpus options are checked before work", "[corpus]") {
  CorpusOptions o = tiny(test::temp_dir("corpus_bad"));
  o.langs = {"xx"};
  CHECK_THROWS_AS(build_corpus(o), InvalidArgument);
  o = tiny(o.out_dir);
  o.speakers = 2;
  CHECK_THROWS_AS(build_corpus(o), InvalidArgument);
  o = tiny(o.out_dir);
  o.rates = {22050};
  CHECK_THROWS_AS(build_corpus(o), InvalidArgument);
}

TEST_CASE("every base voice speaks, with phone timings", "[corpus]") {
  const std::vector<BaseVoice> voices = base_voices({"en", "es", "de"});
  CHECK(voices.size() >= 80);
  std::set<std::string> ids;
  for (const BaseVoice& v : voices) ids.insert(v.id);
  CHECK(ids.size() == voices.size());
  for (const BaseVoice& v : voices) {
    if (v.engine == "espeak" && v.name.find("+m1") == std::string::npos && v.name.find("+klatt") == std::string::npos)
      continue;  // one plain and one Klatt variant per language is enough to exercise espeak-ng
    INFO(v.id);
    const SpokenUtterance u = speak(v, v.lang == "de" ? "Guten Morgen, lieber Freund." : v.lang == "es" ? "Buenos días, querido amigo." : "Good morning, dear friend.", 1);
    CHECK(u.wave.seconds() > 0.8);
    CHECK(u.wave.seconds() < 4.0);
    REQUIRE(u.phones.size() >= 10);
    CHECK(u.phones.back().end == Approx(u.wave.seconds()).margin(1e-6));
  }
  // The engines' noise is seeded: the same seed gives the same samples, another seed others.
  for (const BaseVoice& v : voices) {
    if (v.id != "flite-slt" && v.id != "espeak-en-klatt") continue;
    INFO(v.id);
    CHECK(speak(v, "A seeded voice.", 7).wave.samples == speak(v, "A seeded voice.", 7).wave.samples);
  }
}

TEST_CASE("flite phones map to IPA, unknown names are an error", "[corpus]") {
  CHECK(flite_phone_to_ipa("hh") == "h");
  CHECK(flite_phone_to_ipa("ch") == "tʃ");
  CHECK(flite_phone_to_ipa("pau") == "_");
  CHECK_THROWS_AS(flite_phone_to_ipa("qq"), InvalidArgument);
}

TEST_CASE("perturbations change timing as asked and are stable per speaker", "[corpus]") {
  const Waveform tone = test::test_tone(22050, 2.0, 150.0);
  std::vector<PhoneSpan> phones = {{"a", 0.0, 1.0}, {"b", 1.0, 2.0}};
  VoicePerturbation p;
  p.rate = 1.25;
  p.formant = 1.1;
  p.pitch = 0.9;
  const Waveform out = apply_perturbation(tone, p, 16000, 0.5, phones);
  CHECK(out.rate == 16000);
  CHECK(out.seconds() == Approx(2.0 / 1.25).epsilon(0.03));
  CHECK(phones[0].end == Approx(1.0 / 1.25).epsilon(0.01));
  CHECK(phones[1].end == Approx(out.seconds()));
  float top = 0;
  for (float x : out.samples) top = std::max(top, std::abs(x));
  CHECK(top == Approx(0.5f));

  CHECK(perturbation_for(1, "x-01", 1).pitch == perturbation_for(1, "x-01", 1).pitch);
  CHECK(perturbation_for(1, "x-01", 1).pitch != perturbation_for(1, "x-02", 1).pitch);
  const VoicePerturbation base = perturbation_for(1, "x-00", 0);  // index 0: the base voice itself
  CHECK((base.pitch == 1 && base.formant == 1 && base.rate == 1 && base.tilt == 0 && base.reverb == 0));
}

TEST_CASE("sentences are cut, cleaned and bounded", "[corpus]") {
  const auto s = split_sentences("In the beginning God created the heaven and the earth. And [the] earth was ¶ without form; "
                                 "Too short. Verse 12 has a digit in it here.");
  REQUIRE(s.size() == 2);
  CHECK(s[0] == "In the beginning God created the heaven and the earth.");
  CHECK(s[1] == "And earth was without form.");
  const SentenceSet es = load_sentences("es", 1);
  CHECK(es.train.size() > 1000);
  CHECK(es.heldout.size() >= 20);
  CHECK_THROWS_AS(load_sentences("fr", 1), InvalidArgument);
}
