// The voice adapt job through the library: its inputs (transcripts beside the audio, in a
// folder, or as subtitles timed to one recording), its consent gate (the use "adaptation", the
// performer's own voice), and the adapted profile: signed, bound to its base synthesizer, and
// spoken by the say job like any other. The performer is the samples' synthetic voice (flite
// slt, the voice of samples/sample.wav); learning runs two steps (the plumbing, not the
// quality: that is `voice adapt-eval`).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "audio/io.hpp"
#include "core/error.hpp"
#include "corpus/engines.hpp"
#include "jobs/adaptation_inputs.hpp"
#include "jobs/say_job.hpp"
#include "jobs/voice_adapt_job.hpp"
#include "provenance/consent_check.hpp"
#include "provenance/manifest.hpp"
#include "support.hpp"
#include "synth/synthesizer.hpp"
#include "voice/speaker_encoder.hpp"

using namespace dubkit;
namespace fs = std::filesystem;

namespace {

const std::string kSamples = DUBKIT_SAMPLES_DIR, kModels = DUBKIT_MODELS_DIR;

const std::vector<std::string> kLines = {
    "The boat left the harbor early in the morning.", "A cold wind came over the hills before noon.",
    "She read the letter twice and put it away.",     "We walked along the river until the rain began.",
    "The old clock in the hall stopped at nine.",     "Bring the lamp into the kitchen, please.",
    "Nobody knew where the road would end.",          "The children painted the fence a bright green.",
    "He found the key under a stone by the door.",    "Fresh bread was cooling on the window sill.",
    "The train was late again this evening.",         "They planted six trees along the garden wall."};

// Recordings of `voice` saying kLines, each with NAME.txt beside it, in `dir`.
void record(const std::string& dir, const BaseVoice& voice) {
  fs::create_directories(dir);
  for (std::size_t i = 0; i < kLines.size(); ++i) {
    const std::string stem = dir + "/line" + std::to_string(i);
    write_audio(stem + ".wav", speak(voice, kLines[i], 1).wave);
    std::ofstream(stem + ".txt") << kLines[i] << "\n";
  }
}

// The demo studio, the samples' voice enrolled, its record re-signed with "adaptation" among
// its uses, and recordings by the performer (flite slt) and by somebody else (espeak-ng).
struct Studio {
  std::string dir = test::temp_dir("adapt-job");
  std::string key = kSamples + "/consent/demo-studio.key", trust = dir + "/trust";
  std::string consent = kSamples + "/consent/sample-consent.json";
  std::string adapt_consent = dir + "/record/consent.json", profile = dir + "/anna.voice";
  std::string performer = dir + "/anna", stranger = dir + "/stranger";

  Studio() {
    TrustStore store(trust);
    store.add_key(read_public_key(key + ".pub"));
    const LoadedEncoder encoder = load_speaker_encoder(kModels + "/speaker_encoder.safetensors");
    write_voice_profile(profile, enroll_consented_voice(consent, store, encoder, {kSamples + "/sample.wav"},
                                                        read_signing_key(key), "anna"));
    ConsentRecord r = read_consent(consent);
    r.uses.push_back("adaptation");
    sign_consent(r, read_signing_key(key));
    fs::create_directories(dir + "/record");
    write_consent(adapt_consent, r);
    fs::copy_file(kSamples + "/consent/" + r.statement->audio, dir + "/record/" + r.statement->audio);
    record(performer, {"flite-slt", "flite", "slt", "en"});
    record(stranger, {"espeak-en", "espeak", "en", "en"});
  }

  VoiceAdaptJobOptions job(const std::string& output) const {
    VoiceAdaptJobOptions o;
    o.profile = profile;
    o.audio = {performer};
    o.consent = adapt_consent;
    o.output = output;
    o.encoder = kModels + "/speaker_encoder.safetensors";
    o.key = key;
    o.trust_dir = trust;
    o.adapt.synthesizer = kModels + "/synthesizer.safetensors";
    o.adapt.aligner = kModels + "/aligner.safetensors";
    o.adapt.steps = 2;
    o.adapt.batch = 4;
    o.adapt.threads = 2;
    return o;
  }
};

Studio& studio() {
  static Studio s;
  return s;
}

}  // namespace

TEST_CASE("adaptation inputs: transcripts beside the audio, in a folder, or as timed subtitles", "[jobs][adapt]") {
  const std::string dir = test::temp_dir("adapt-inputs");
  for (const char* name : {"b.wav", "a.wav"}) write_audio(dir + "/" + name, test::test_tone(16000, 0.5));
  std::ofstream(dir + "/notes.md") << "not audio";
  const std::vector<std::string> files = adaptation_recordings({dir});
  REQUIRE(files == std::vector<std::string>{dir + "/a.wav", dir + "/b.wav"});
  CHECK_THROWS_WITH(adaptation_recordings({dir + "/missing.wav"}), Catch::Contains("missing.wav does not exist"));

  // Beside: b.txt only, so a.wav is named as lacking one.
  std::ofstream(dir + "/b.txt") << "  Good\n morning.  \n";
  CHECK_THROWS_WITH(adaptation_clips(files, "", ""), Catch::Contains("needs a transcript") && Catch::Contains("a.txt") &&
                                                         !Catch::Contains("b.txt"));
  std::ofstream(dir + "/a.txt") << "Hello there.";
  const std::vector<AdaptationClip> beside = adaptation_clips(files, "", "");
  REQUIRE(beside.size() == 2);
  CHECK(beside[1].text == "Good morning.");
  CHECK(beside[1].end < 0);

  // In a folder of their own.
  fs::create_directories(dir + "/texts");
  std::ofstream(dir + "/texts/a.txt") << "From the folder.";
  std::ofstream(dir + "/texts/b.txt") << "Also from it.";
  CHECK(adaptation_clips(files, "", dir + "/texts")[0].text == "From the folder.");

  // Subtitles cut one recording at their cues.
  std::ofstream(dir + "/a.srt") << "1\n00:00:00,100 --> 00:00:00,300\nFirst line.\n\n2\n00:00:00,350 --> 00:00:00,480\n"
                                   "<i>Second</i> line.\n";
  const std::vector<AdaptationClip> cues = adaptation_clips({files[0]}, dir + "/a.srt", "");
  REQUIRE(cues.size() == 2);
  CHECK(cues[1].text == "Second line.");
  CHECK(cues[1].start == Approx(0.35));
  CHECK(cues[1].end == Approx(0.48));
  CHECK(cues[1].name == "a.wav cue 2");
  CHECK_THROWS_WITH(adaptation_clips(files, dir + "/a.srt", ""), Catch::Contains("times one recording"));
  std::ofstream(dir + "/texts/a.txt", std::ios::binary) << "bad \xff byte";
  CHECK_THROWS_AS(adaptation_clips(files, "", dir + "/texts"), FormatError);
}

TEST_CASE("voice adapt job: the record must allow adaptation, the recordings must be the performer's", "[jobs][adapt]") {
  const Studio& s = studio();
  VoiceAdaptJobOptions o = s.job(s.dir + "/refused.voice");
  SECTION("a record without the use 'adaptation'") {
    o.consent = s.consent;
    CHECK_THROWS_WITH(voice_adapt_job(o), Catch::Contains("does not cover the use 'adaptation'"));
  }
  SECTION("somebody else's recordings") {
    o.audio = {s.stranger};
    CHECK_THROWS_AS(voice_adapt_job(o), ConsentRefused);
  }
  SECTION("a language outside the record") {
    o.adapt.lang = "fr";
    CHECK_THROWS_WITH(voice_adapt_job(o), Catch::Contains("does not cover the language 'fr'"));
  }
  SECTION("too little audio") {
    o.audio = {s.performer + "/line0.wav", s.performer + "/line1.wav"};
    CHECK_THROWS_WITH(voice_adapt_job(o), Catch::Contains("at least 30 s"));
  }
  CHECK(!fs::exists(o.output));
}

TEST_CASE("voice adapt job: a signed profile bound to its synthesizer, spoken by the say job", "[jobs][adapt]") {
  const Studio& s = studio();
  const VoiceAdaptJobOptions o = s.job(s.dir + "/anna.adapted.voice");
  const VoiceAdaptJobReport r = voice_adapt_job(o);
  CHECK(r.adaptation.steps == 2);
  CHECK(r.adaptation.seconds >= 30);
  for (double cosine : r.similarities) CHECK(cosine >= r.threshold);
  CHECK(!fs::exists(o.output + ".work"));

  const VoiceProfile p = read_voice_profile(o.output);
  REQUIRE(p.adaptation);
  CHECK(p.adaptation->synthesizer == "synthesizer.safetensors");
  CHECK(p.adaptation->synthesizer_sha256 == sha256_file_hex(o.adapt.synthesizer));
  CHECK(p.adaptation->files.size() == kLines.size());
  CHECK(p.adaptation->sha256[0] == sha256_file_hex(s.performer + "/line0.wav"));
  CHECK(parse_consent(p.consent, "p").uses.back() == "adaptation");
  // Signed by the studio: the say job's gate accepts it, and its output is published.
  SayJobOptions say;
  say.voice = o.output;
  say.text = "Good morning.";
  say.synthesizer = o.adapt.synthesizer;
  say.vocoder = kModels + "/vocoder.safetensors";
  say.output = s.dir + "/adapted-say.wav";
  say.publish.key = s.key;
  say.publish.trust_dir = s.trust;
  say.publish.render_log = s.dir + "/render-log.jsonl";
  CHECK(say_job(say).seconds > 0.5);
  // Its manifest names the recordings the voice learned from.
  const ManifestVerification v = verify_manifest(say.output, TrustStore(s.trust));
  REQUIRE(v.status == ManifestStatus::valid);
  long adaptation_audio = 0;
  for (const ManifestIngredient& i : v.manifest->ingredients)
    if (i.role == "adaptation audio") {
      ++adaptation_audio;
      if (i.title == "line0.wav") CHECK(i.sha256 == sha256_file_hex(s.performer + "/line0.wav"));
    }
  CHECK(adaptation_audio == static_cast<long>(kLines.size()));

  // Another synthesizer file refuses it before any work; an altered adapter breaks the signature.
  const std::string other = s.dir + "/other-synthesizer.safetensors";
  LoadedSynthesizer base = load_synthesizer(o.adapt.synthesizer);
  base.metadata["dubkit.note"] = "the same weights in another file";
  save_synthesizer(other, base.model, base.symbols, base.languages, base.metadata, /*half=*/true);
  say.synthesizer = other;
  say.output = s.dir + "/other-say.wav";
  CHECK_THROWS_WITH(say_job(say), Catch::Contains("was adapted for the synthesizer synthesizer.safetensors"));
  CHECK(!fs::exists(say.output));
  VoiceProfile altered = p;
  altered.adaptation->parameters["mel_shift"][0] += 0.5f;
  write_voice_profile(s.dir + "/altered.voice", altered);
  say.voice = s.dir + "/altered.voice";
  say.synthesizer = o.adapt.synthesizer;
  CHECK_THROWS_AS(say_job(say), ConsentRefused);
}
