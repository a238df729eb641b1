// The dub's stages one at a time (dub/dub_stages.hpp), on a 3 s synthetic talking-face clip:
// plan against the script, synthesis into the work directory and its resume, the mix's beds,
// the render over the lines only, the per-line sync, the marks per line. The default
// synthesizer and vocoder speak; the lip-sync networks are tiny random ones (plumbing only).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "audio/io.hpp"
#include "core/error.hpp"
#include "dub/dub_stages.hpp"
#include "lipsync/tiny_media.hpp"
#include "provenance/crypto.hpp"
#include "support.hpp"
#include "sync/sync_judge.hpp"

using namespace dubkit;
namespace fs = std::filesystem;

namespace {

const std::string kModels = DUBKIT_MODELS_DIR;

struct Clip {
  std::string dir = test::temp_dir("dub-stages");
  std::string video = dir + "/clip.mp4", generator = dir + "/generator.safetensors", expert = dir + "/expert.safetensors";
  TextToSpeech tts{kModels + "/synthesizer.safetensors"};
  std::unique_ptr<Vocoder> vocoder = open_vocoder(kModels + "/vocoder.safetensors");
  std::vector<float> speaker = std::vector<float>(tts.speaker_dim(), 0.0f);

  Clip() {
    speaker[0] = 1.0f;  // any unit vector is a voice to the synthesizer
    test::write_face_clip(video, 3.0);
    test::write_tiny_networks(generator, expert);
  }

  // Options for `script` (SRT text), output in the clip's folder.
  DubOptions options(const std::string& name, const std::string& script) const {
    DubOptions o;
    o.video = video;
    o.script = dir + "/" + name + ".srt";
    std::ofstream(o.script) << script;
    o.output = dir + "/" + name + ".mp4";
    o.synthesizer = kModels + "/synthesizer.safetensors";
    o.vocoder = kModels + "/vocoder.safetensors";
    o.lipsync_model = generator;
    o.sync_expert = expert;
    return o;
  }
};

Clip& clip() {
  static Clip c;
  return c;
}

const char* kTwoLines = "1\n00:00:00,200 --> 00:00:01,200\nGood morning.\n\n2\n00:00:01,800 --> 00:00:02,900\nThank you.\n";

double rms(const Waveform& w, double from, double to) {
  double s = 0;
  long n = 0;
  for (long i = std::lround(from * w.rate); i < std::lround(to * w.rate) && i < static_cast<long>(w.samples.size()); ++i)
    s += double(w.samples[i]) * w.samples[i], ++n;
  return n ? std::sqrt(s / n) : 0.0;
}

// The seal a job gets from its render gate (RenderGate::seal), under a test secret.
std::string test_seal(const std::string& m) { return hmac_sha256_hex("test studio secret", m); }

}  // namespace

TEST_CASE("dub plan: every line fitted to its slot, what cannot fit is refused before any audio", "[dub][stages]") {
  Clip& c = clip();
  const DubOptions o = c.options("plan", kTwoLines);
  const DubPlan p = plan_dub(o, c.tts, c.speaker, "en");
  CHECK(p.video.duration == Approx(3.0).margin(0.05));
  REQUIRE(p.lines.size() == 2);
  for (const DubLine& l : p.lines) {
    CHECK(l.natural_seconds > 0.3);
    CHECK(l.target_seconds <= l.available_seconds + 1e-9);
    CHECK(l.fit != "overflow");
  }
  const DubOptions crowded = c.options("crowded", "1\n00:00:00,200 --> 00:00:00,400\nThe boat left the harbor before the sun came up.\n\n"
                                                  "2\n00:00:00,600 --> 00:00:00,800\nWe walked along the river and talked about the summer, the "
                                                  "boats and the long evenings by the sea.\n");
  CHECK_THROWS_WITH(plan_dub(crowded, c.tts, c.speaker, "en"), Catch::Contains("cue 1") && Catch::Contains("cue 2"));
  const DubOptions late = c.options("late", "1\n00:00:05,000 --> 00:00:06,000\nToo late.\n");
  CHECK_THROWS_AS(plan_dub(late, c.tts, c.speaker, "en"), InvalidArgument);
  CHECK_FALSE(fs::exists(c.dir + "/crowded.mp4.work"));
}

TEST_CASE("dub synthesis: lines at their cues on the timeline, kept for a resume that reuses them", "[dub][stages]") {
  Clip& c = clip();
  DubOptions o = c.options("synth", kTwoLines);
  DubPlan p = plan_dub(o, c.tts, c.speaker, "en");
  const LineVoice voice{c.speaker, "en", "sig", 7, test_seal};
  const std::string work = o.work();
  const Waveform dialogue = synthesize_lines(p, o, voice, c.tts, *c.vocoder, work);
  CHECK(dialogue.rate == 16000);
  CHECK(dialogue.samples.size() == static_cast<std::size_t>(std::lround(p.video.duration * 16000)));
  CHECK(rms(dialogue, 0.0, 0.2) == 0.0);  // nothing before the first cue
  for (const DubLine& l : p.lines) {
    CHECK(l.speech_start == l.start);
    CHECK(l.achieved_seconds == Approx(l.target_seconds).margin(1.0 / 16000));
    CHECK(rms(dialogue, l.speech_start, l.speech_end) > 0.005);
    CHECK_FALSE(l.resumed);
  }
  CHECK(fs::exists(work + "/lines/0001.wav"));
  CHECK(fs::exists(work + "/lines/0002.key"));

  o.resume = true;
  DubPlan again = plan_dub(o, c.tts, c.speaker, "en");
  const Waveform resumed = synthesize_lines(again, o, voice, c.tts, *c.vocoder, work);
  REQUIRE(resumed.samples.size() == dialogue.samples.size());
  float worst = 0;  // the kept lines are 16-bit WAVs
  for (std::size_t i = 0; i < resumed.samples.size(); ++i) worst = std::max(worst, std::abs(resumed.samples[i] - dialogue.samples[i]));
  CHECK(worst <= 1.0f / 32768);
  CHECK(again.lines[0].resumed);
  CHECK(again.lines[1].resumed);
  DubPlan reseeded = plan_dub(o, c.tts, c.speaker, "en");
  synthesize_lines(reseeded, o, LineVoice{c.speaker, "en", "sig", 8, test_seal}, c.tts, *c.vocoder, work);
  CHECK_FALSE(reseeded.lines[0].resumed);  // the seed is part of what makes a line

  std::ofstream(work + "/mine.txt") << "a user's file";
  clear_dub_work(work);
  CHECK_FALSE(fs::exists(work + "/lines"));
  CHECK(fs::exists(work + "/mine.txt"));
}

// Issue 22, item 8: a line's WAV replaced in the work directory before --resume was dubbed into
// an output that verified under the performer's consent, with another voice in it.
TEST_CASE("issue 22 item 8: a swapped work file is made anew on resume, never dubbed", "[dub][stages][issue22]") {
  Clip& c = clip();
  DubOptions o = c.options("swapped", kTwoLines);
  DubPlan p = plan_dub(o, c.tts, c.speaker, "en");
  const LineVoice voice{c.speaker, "en", "sig", 7, test_seal};
  const std::string work = o.work();
  synthesize_lines(p, o, voice, c.tts, *c.vocoder, work);
  const std::string line = work + "/lines/0001.wav", mine = read_small_file(work + "/lines/0001.key", 256, "key");
  const Waveform made = read_mono(line);
  // Another voice of the same length, and the key file's hash line rewritten for it: without
  // the studio's secret its seal cannot be made.
  write_audio(line, test::test_tone(16000, made.seconds(), 300.0));
  std::ofstream(work + "/lines/0001.key") << mine.substr(0, 65) << sha256_file_hex(line) << "\n";
  o.resume = true;
  DubPlan again = plan_dub(o, c.tts, c.speaker, "en");
  synthesize_lines(again, o, voice, c.tts, *c.vocoder, work);
  CHECK_FALSE(again.lines[0].resumed);
  CHECK(again.lines[1].resumed);
  CHECK(read_mono(line).samples == made.samples);  // the line is the voice's again
  CHECK(read_small_file(work + "/lines/0001.key", 256, "key") == mine);
  // A seal under another secret does not open the work files either.
  DubPlan other = plan_dub(o, c.tts, c.speaker, "en");
  const auto stranger = [](const std::string& m) { return hmac_sha256_hex("another studio", m); };
  synthesize_lines(other, o, LineVoice{c.speaker, "en", "sig", 7, stranger}, c.tts, *c.vocoder, work);
  CHECK_FALSE(other.lines[0].resumed);
  CHECK_THROWS_AS(synthesize_lines(other, o, LineVoice{c.speaker, "en", "sig", 7, {}}, c.tts, *c.vocoder, work), InvalidArgument);
}

TEST_CASE("dub mix: the bed is silence, a background stem or the original ducked", "[dub][stages]") {
  Clip& c = clip();
  DubOptions o = c.options("mix", kTwoLines);
  DubPlan p;
  p.video.duration = 3.0;
  DubLine l;
  l.speech_start = 1.0, l.speech_end = 2.0;
  p.lines.push_back(l);
  Waveform dialogue = test::test_tone(16000, 3.0, 200.0);
  for (std::size_t i = 0; i < dialogue.samples.size(); ++i)
    if (i < 16000 || i >= 32000) dialogue.samples[i] = 0;
  DubMix m = mix_timeline(dialogue, p, o);
  CHECK(m.bed == "silence");
  CHECK(m.sound.rate == 48000);
  CHECK(m.sound.samples.size() == 3 * 48000u);
  CHECK(rms(m.sound, 0.0, 0.9) == 0.0);

  o.background = c.dir + "/bed.wav";
  write_audio(o.background, test::test_tone(22050, 3.0, 90.0));
  m = mix_timeline(dialogue, p, o);
  CHECK(m.bed == "background");
  CHECK(rms(m.sound, 0.0, 0.9) > 0.0);

  o.background.clear();
  o.keep_original_under = 12;
  m = mix_timeline(Waveform{16000, std::vector<float>(3 * 16000, 0.f)}, p, o);
  CHECK(m.bed == "original");
  // The clip's own track (a tone with a 3 Hz envelope: windows of whole periods), 12 dB under
  // the line once the 0.15 s ramp is done.
  const double ratio = rms(m.sound, 1.2, 1.2 + 2.0 / 3) / rms(m.sound, 0.0, 2.0 / 3);
  CHECK(ratio == Approx(std::pow(10.0, -12.0 / 20)).margin(0.05));
}

TEST_CASE("dub render and score: frames re-rendered over the lines only, sync judged per line", "[dub][stages]") {
  Clip& c = clip();
  const DubOptions o = c.options("render", "1\n00:00:01,000 --> 00:00:02,000\nGood morning.\n");
  DubPlan p = plan_dub(o, c.tts, c.speaker, "en");
  p.lines[0].speech_start = 1.0, p.lines[0].speech_end = 2.0;
  const std::string dialogue_wav = c.dir + "/render-dialogue.wav";
  Waveform dialogue = test::test_tone(16000, 3.0, 180.0);
  write_audio(dialogue_wav, dialogue);
  const std::unique_ptr<SyncJudge> judge = load_sync_judge(c.expert);
  SyncFrames frames(*judge);
  const LipSyncVideoReport r = render_lines(p, o, dialogue_wav, dialogue_wav, "", {}, frames);
  CHECK(r.frames_out == 75);
  // 1.0 - 0.25 .. 2.0 + 0.25 s at 25 fps: frames 19..56 (the margin is o.margin).
  CHECK(r.first_changed == 19);
  CHECK(r.last_changed == 56);

  DubReport rep;
  rep.lines = p.lines;
  score_lines(frames, 25.0, dialogue, o.output, rep);
  CHECK(rep.synced);
  CHECK(std::isfinite(rep.sync_confidence));
  CHECK_FALSE(rep.window_seconds.empty());
  CHECK(rep.window_seconds.size() == rep.window_confidence.size());
  CHECK(rep.lines[0].sync_windows > 0);
  CHECK(rep.lines[0].synced);
}

TEST_CASE("dub marks: each line gets the payloads of the seconds it overlaps", "[dub][stages]") {
  DubReport r;
  r.watermark_payloads = {10, 11, 12, 13};
  DubLine a, b;
  a.speech_start = 0.5, a.speech_end = 1.5;  // seconds 0 and 1
  b.speech_start = 3.0, b.speech_end = 3.2;  // second 3 only
  r.lines = {a, b};
  assign_line_payloads(r);
  CHECK(r.lines[0].watermark_payloads == std::vector<std::uint32_t>{10, 11});
  CHECK(r.lines[1].watermark_payloads == std::vector<std::uint32_t>{13});
}
