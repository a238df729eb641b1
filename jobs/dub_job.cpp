#include "jobs/dub_job.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>

#include <torch/torch.h>

#include "audio/io.hpp"
#include "core/error.hpp"
#include "dub/dub_stages.hpp"
#include "jobs/lipsync_job.hpp"
#include "jobs/version.hpp"
#include "sync/sync_judge.hpp"

namespace fs = std::filesystem;

namespace dubkit {
namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Share of the whole dub each stage takes, for the overall progress: the median stage times of
// the sample's dub (docs/DUBBING.md, "Speed"), where lip-sync and the sync check dominate.
struct StageWeight {
  const char* name;
  double weight;
};
constexpr StageWeight kStages[] = {{"plan", 0.06}, {"synthesis", 0.06}, {"mix", 0.02}, {"lipsync", 0.66}, {"sync", 0.18}, {"sign", 0.02}};

// Reports one stage's progress as its own fraction and the whole dub's, and times the stages.
class StageClock {
 public:
  StageClock(const std::function<void(const DubProgress&)>& f, DubReport& r) : f_(f), r_(r) {}
  StageProgressFn progress(const char* stage) const {
    return [this, stage](double fraction) { report(stage, fraction); };
  }
  void report(const std::string& stage, double fraction) const {
    if (!f_) return;
    double before = 0, weight = 0;
    for (const StageWeight& s : kStages) {
      if (stage == s.name) {
        weight = s.weight;
        break;
      }
      before += s.weight;
    }
    f_({stage, fraction, std::min(1.0, before + weight * std::clamp(fraction, 0.0, 1.0))});
  }
  // Ends the stage that began at the last call (or at construction).
  void done(const char* stage) {
    r_.stages.emplace_back(stage, since(t0_));
    t0_ = Clock::now();
  }
  double total() const { return since(start_); }

 private:
  const std::function<void(const DubProgress&)>& f_;
  DubReport& r_;
  Clock::time_point start_ = Clock::now(), t0_ = start_;
};

// What the report says of what was asked and of the voice.
void describe_request(const DubJobOptions& o, const AuthorizedVoice& voice, DubReport& r) {
  const ConsentRecord& c = voice.consent();
  r.output = o.dub.output, r.video = o.dub.video, r.script = o.dub.script, r.background = o.dub.background;
  r.lang = voice.language(), r.source_lang = o.dub.source_language;
  r.voice = DubVoice{voice.profile().name, c.id, c.performer, c.studio, c.uses};
  r.audio_rate = o.dub.mix.rate;
  r.target_lufs = o.dub.mix.target_lufs;
}

}  // namespace

void DubJobOptions::validate() const {
  dub.validate();
  if (voice.empty()) throw InvalidArgument("dub: --voice is required");
  if (lang.empty()) throw InvalidArgument("dub: --lang is required");
}

DubReport dub_job(const DubJobOptions& o, const std::function<void(const DubProgress&)>& progress) {
  o.validate();
  RenderGate gate = RenderGate::for_voice(o.voice, "dubbing", o.lang, {"lip-sync"}, o.publish);
  gate.claim(o.dub.output);
  const AuthorizedVoice& voice = gate.voice();
  const DubOptions& d = o.dub;
  DubReport r;
  StageClock clock(progress, r);
  describe_request(o, voice, r);
  r.output_id = gate.output_id();

  torch::set_num_threads(d.threads);
  TextToSpeech tts(d.synthesizer);
  const LineVoice line_voice{tts.use_voice(voice.profile()), voice.language(), voice.profile().signature, d.seed,
                             [&gate](const std::string& m) { return gate.seal(m); }};
  DubPlan plan = plan_dub(d, tts, line_voice.speaker, line_voice.lang, clock.progress("plan"));
  r.fps = plan.video.fps;
  r.video_seconds = plan.video.duration;
  r.skipped = plan.skipped;
  clock.done("plan");

  const std::string work = d.work();
  const std::unique_ptr<Vocoder> vocoder = open_vocoder(d.vocoder, 32, tts.preset().name);
  Waveform dialogue = synthesize_lines(plan, d, line_voice, tts, *vocoder, work, clock.progress("synthesis"));
  clock.done("synthesis");

  // The timeline's audio lives on disk from here on: the render stage reads what it needs.
  clock.report("mix", 0);
  const std::string dialogue_path = work + "/dialogue.wav", mix_path = work + "/mix.wav";
  {
    DubMix mix = mix_timeline(dialogue, plan, d);
    r.mix = mix.report;
    r.bed = mix.bed;
    AudioMarker marker = gate.marker(d.mix.rate);
    Waveform marked = marker.push(mix.sound);
    const Waveform tail = marker.finish();
    marked.samples.insert(marked.samples.end(), tail.samples.begin(), tail.samples.end());
    r.watermark_payloads = marker.payloads();
    write_audio(dialogue_path, dialogue);
    // Float: 16-bit rounding would put noise above the dialogue's band, and an AAC encoder at
    // 64 kbit/s and 48 kHz spends its bits there, taking the mark with them (docs/WATERMARK.md).
    write_audio(mix_path, marked, SampleFormat::Float32);
    dialogue = Waveform{};
  }
  r.lines = plan.lines;
  assign_line_payloads(r);
  clock.report("mix", 1);
  clock.done("mix");

  const std::unique_ptr<SyncJudge> judge = load_sync_judge(d.sync_expert);
  SyncFrames sync_frames(*judge);
  VideoMarker frame_marker = gate.video_marker();
  const FrameMark mark = [&frame_marker](cv::Mat& bgr, const cv::Mat& region, double pts) { frame_marker.mark(bgr, region, pts); };
  const LipSyncVideoReport lr = render_lines(plan, d, dialogue_path, mix_path, gate.disclose() ? kDubLabel : "", mark,
                                             sync_frames, clock.progress("lipsync"));
  // The frames' payloads are the sound's of the same seconds; a second past the sound's blocks adds its own.
  for (std::uint32_t p : frame_marker.payloads())
    if (std::find(r.watermark_payloads.begin(), r.watermark_payloads.end(), p) == r.watermark_payloads.end())
      r.watermark_payloads.push_back(p);
  r.frames_out = lr.frames_out;
  r.frames_changed = lr.frames_changed;
  r.frames_silenced = lr.frames_silenced;
  r.output_seconds = lr.output_seconds;
  clock.done("lipsync");

  // The expert's view of the result, on the composited frames before encoding.
  clock.report("sync", 0);
  if (lr.frames_changed > 0) score_lines(sync_frames, plan.video.fps, read_mono(dialogue_path), d.output, r);
  clock.report("sync", 1);
  clock.done("sync");

  std::vector<std::string> model_files = {d.synthesizer};
  if (fs::is_regular_file(d.vocoder)) model_files.push_back(d.vocoder);
  model_files.push_back(d.lipsync_model);
  gate.publish(dub_manifest(voice, gate.output_id(), d.output, d.video, d.script, d.background, d.source_language, model_files,
                            software_name("dub"), changed_region(lr)),
               r.watermark_payloads, "on-screen label", "dub");
  clock.report("sign", 1);
  clock.done("sign");
  r.stages.emplace_back("total", clock.total());
  r.report_path = d.output + ".dub.json";
  write_dub_report(r.report_path, r);
  if (!d.keep_work) clear_dub_work(work);
  return r;
}

}  // namespace dubkit
