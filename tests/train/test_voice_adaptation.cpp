// Voice adaptation's learning half on a tiny random synthesizer: the adapter learns (the loss
// falls while the base weights stay as they were), a resumed run equals an uninterrupted one,
// and recordings it cannot learn from are refused by name. The recordings are espeak-ng's
// (synthetic); the aligner is the default model.
#include <catch2/catch.hpp>

#include <set>

#include "audio/io.hpp"
#include "corpus/engines.hpp"
#include "core/error.hpp"
#include "support.hpp"
#include "synth/front_end.hpp"
#include "synth/tiny_synthesizer.hpp"
#include "train/voice_adaptation.hpp"

using namespace dubkit;

namespace {

const std::string kModels = DUBKIT_MODELS_DIR;

const std::vector<std::string> kSentences = {
    "The boat left the harbor early.", "A cold wind came over the hills.", "She read the letter twice.",
    "We walked along the river at noon.", "The old clock stopped at nine.", "Bring the lamp into the kitchen."};
const std::string kOtherWords = "Seven purple elephants juggled quietly under the bridge.";

struct Fixture {
  std::string dir = test::temp_dir("adapt");
  std::string synthesizer = dir + "/tiny.safetensors";
  std::vector<AdaptationClip> clips;

  Fixture() {
    std::set<std::string> phones;
    for (const std::string& s : kSentences)
      for (const std::string& p : sentence_phones(s, "en").phones) phones.insert(p);
    for (const std::string& p : sentence_phones(kOtherWords, "en").phones) phones.insert(p);
    test::write_tiny_synthesizer(synthesizer, phones, {"en"});
    const BaseVoice voice{"espeak-en", "espeak", "en", "en"};
    for (std::size_t i = 0; i < kSentences.size(); ++i) {
      const std::string path = dir + "/take" + std::to_string(i) + ".wav";
      write_audio(path, speak(voice, kSentences[i], 1).wave);
      clips.push_back({path, kSentences[i], 0, -1, "take" + std::to_string(i) + ".wav"});
    }
  }

  VoiceAdaptOptions options(const std::string& work) const {
    VoiceAdaptOptions o;
    o.synthesizer = synthesizer;
    o.aligner = kModels + "/aligner.safetensors";
    o.embedding = {0.5f, 0.5f, 0.5f, 0.5f};
    o.clips = clips;
    o.work_dir = dir + "/" + work;
    o.steps = 6;
    o.batch = 3;
    o.lr = 0.05;
    o.min_seconds = 5;
    o.checkpoint_every = 1;
    o.threads = 1;
    return o;
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

std::string error_of(const VoiceAdaptOptions& o) {
  try {
    adapt_voice(o);
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("voice adaptation: the adapter learns, a resumed run equals an uninterrupted one", "[train][adapt]") {
  const Fixture& f = fixture();
  const VoiceAdaptResult r = adapt_voice(f.options("straight"));
  CHECK(r.report.steps == 6);
  CHECK(r.report.clips.size() == f.clips.size());
  CHECK(r.report.parameters == 4 + 2 * 16 + 2 * 80 + 1);
  CHECK(r.report.loss_after < r.report.loss_before);
  CHECK(r.adapter.at("embedding") != std::vector<float>{0.5f, 0.5f, 0.5f, 0.5f});
  for (const AdaptationClipReport& c : r.report.clips) {
    CHECK(c.seconds > 1.0);
    CHECK(c.alignment_cost < f.options("x").max_alignment_cost);
  }

  // Interrupted after step 3 (its checkpoint written), then resumed to the end.
  VoiceAdaptOptions o = f.options("interrupted");
  CHECK_THROWS_AS(adapt_voice(o, [](long step, long, double) {
                    if (step == 3) throw std::runtime_error("interrupted");
                  }),
                  std::runtime_error);
  o.resume = true;
  const VoiceAdaptResult resumed = adapt_voice(o);
  CHECK(resumed.report.steps == 6);
  CHECK(resumed.adapter == r.adapter);

  // A frozen tensor keeps its starting values while the others learn.
  VoiceAdaptOptions frozen = f.options("frozen");
  frozen.steps = 2;
  frozen.frozen = {"embedding", "mel_shift"};
  const VoiceAdaptResult fr = adapt_voice(frozen);
  CHECK(fr.adapter.at("embedding") == std::vector<float>{0.5f, 0.5f, 0.5f, 0.5f});
  CHECK(fr.adapter.at("mel_shift") == std::vector<float>(80, 0.0f));
  CHECK(fr.adapter.at("mel_scale") != std::vector<float>(80, 0.0f));

  // Another base or other recordings cannot continue that work folder.
  VoiceAdaptOptions other = o;
  other.clips.pop_back();
  CHECK_THROWS_WITH(adapt_voice(other), Catch::Contains("'clips_sha256' was"));
}

TEST_CASE("voice adaptation: recordings it cannot learn from are refused by name", "[train][adapt][bad-input]") {
  const Fixture& f = fixture();
  VoiceAdaptOptions o = f.options("bad");

  SECTION("a transcript of other words is left out by name, most of them refuse the run") {
    o.clips[2].text = kOtherWords;
    o.steps = 1;
    const VoiceAdaptReport r = adapt_voice(o).report;
    CHECK_THAT(r.clips[2].refused, Catch::Contains("other words"));
    for (std::size_t i : {0, 1, 3, 4, 5}) CHECK(r.clips[i].refused.empty());
    CHECK(r.seconds == Approx(r.clips[0].seconds + r.clips[1].seconds + r.clips[3].seconds + r.clips[4].seconds +
                              r.clips[5].seconds));
    for (std::size_t i = 0; i < o.clips.size(); ++i) o.clips[i].text = kSentences[(i + 1) % kSentences.size()];
    const std::string e = error_of(o);
    CHECK_THAT(e, Catch::Contains("do not match") && Catch::Contains("take2.wav cost"));
  }
  SECTION("a timed piece of a recording is cut from it") {
    AdaptationClip cue = o.clips[1];
    cue.start = 0.25, cue.end = 1.25, cue.name = "take1.wav cue 1";
    o.clips.push_back(cue);
    o.steps = 1;
    o.work_dir += "-cue";
    const VoiceAdaptReport r = adapt_voice(o).report;
    CHECK(r.clips.back().name == "take1.wav cue 1");
    CHECK(r.clips.back().seconds == Approx(1.0));
    CHECK(r.clips[1].seconds > 1.5);
  }
  SECTION("too little audio") {
    o.min_seconds = 30;
    CHECK_THAT(error_of(o), Catch::Contains("at least 30 s"));
  }
  SECTION("a language the synthesizer does not speak") {
    o.lang = "de";
    CHECK_THAT(error_of(o), Catch::Contains("does not speak 'de'"));
  }
  SECTION("a clip longer than the limit") {
    o.max_clip_seconds = 1.0;
    CHECK_THAT(error_of(o), Catch::Contains("take0.wav") && Catch::Contains("at most 1 s"));
  }
  SECTION("freezing what the adapter does not have") {
    o.frozen = {"decoder_bias"};
    CHECK_THAT(error_of(o), Catch::Contains("'decoder_bias', not an adapter tensor"));
  }
  SECTION("an embedding of another size") {
    o.embedding = {1.f, 0.f};
    CHECK_THAT(error_of(o), Catch::Contains("embedding has 2 values"));
  }
}
