#include "dub/dub.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <sstream>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "audio/io.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "dub/report_format.hpp"
#include "dub/script.hpp"
#include "lipsync/lipsync_video.hpp"
#include "lipsync/sync_score.hpp"
#include "provenance/consent_check.hpp"
#include "provenance/crypto.hpp"
#include "provenance/publish.hpp"
#include "synth/tts.hpp"
#include "video/subtitles.hpp"
#include "video/video_reader.hpp"
#include "vocoder/vocoder.hpp"

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

class StageProgress {
 public:
  explicit StageProgress(const std::function<void(const DubProgress&)>& f) : f_(f) {}
  void operator()(const std::string& stage, double fraction) const {
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

 private:
  const std::function<void(const DubProgress&)>& f_;
};

// What makes a line's audio: a line is reused on resume only when all of it matches.
std::string line_key(const DubLine& d, const std::string& lang, const std::string& voice_signature, const std::string& models,
                     std::uint64_t seed) {
  std::ostringstream k;
  k.precision(17);
  k << d.text << '\n' << lang << '\n' << d.target_seconds << '\n' << voice_signature << '\n' << models << '\n' << seed;
  return sha256_hex(k.str());
}

// Removes what a dub writes into its work directory, and the directory when that leaves it
// empty: a --work-dir given by the user may hold other files, which stay.
void clear_work(const std::string& work) {
  fs::remove_all(work + "/lines");
  fs::remove(work + "/dialogue.wav");
  fs::remove(work + "/mix.wav");
  std::error_code ec;
  if (fs::is_empty(work, ec)) fs::remove(work, ec);
}

nlohmann::ordered_json payload_list(const std::vector<std::uint32_t>& p) {
  nlohmann::ordered_json j = nlohmann::ordered_json::array();
  for (std::uint32_t v : p) j.push_back(payload_hex(v));
  return j;
}

nlohmann::ordered_json report_json(const DubOptions& o, const AuthorizedVoice& voice, const DubReport& r) {
  const ConsentRecord& c = voice.consent();
  nlohmann::ordered_json lines = nlohmann::ordered_json::array();
  for (const DubLine& l : r.lines) {
    nlohmann::ordered_json j{{"index", l.index}, {"start", l.start}, {"end", l.end}, {"text", l.text},
                             {"slot_seconds", l.end - l.start}, {"natural_seconds", l.natural_seconds},
                             {"target_seconds", l.target_seconds}, {"achieved_seconds", l.achieved_seconds},
                             {"available_seconds", l.available_seconds}, {"stretch", l.stretch}, {"fit", l.fit},
                             {"speech_start", l.speech_start}, {"speech_end", l.speech_end}, {"resumed", l.resumed}};
    if (l.sync_windows > 0) {
      j["sync_offset"] = l.sync_offset;
      j["sync_confidence"] = l.sync_confidence;
    } else {
      j["sync_offset"] = nullptr;
      j["sync_confidence"] = nullptr;
    }
    j["sync_windows"] = l.sync_windows;
    j["watermark_payloads"] = payload_list(l.watermark_payloads);
    lines.push_back(j);
  }
  nlohmann::ordered_json skipped = nlohmann::ordered_json::array();
  for (const auto& [i, why] : r.skipped) skipped.push_back({{"index", i}, {"reason", why}});
  nlohmann::ordered_json stages = nlohmann::ordered_json::object();
  for (const auto& [name, s] : r.stages) stages[name] = s;
  auto finite = [](double v) { return std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json(nullptr); };
  nlohmann::ordered_json sync = nullptr;
  if (r.synced)
    sync = {{"offset", r.sync_offset}, {"confidence", r.sync_confidence}, {"window_seconds", r.window_seconds},
            {"window_confidence", r.window_confidence}, {"window_offset", r.window_offset}};
  return {{"format", kDubReportFormat}, {"version", kDubReportVersion}, {"output", o.output}, {"video", o.video}, {"script", o.script},
          {"background", o.background}, {"lang", voice.language()}, {"source_lang", o.source_language},
          {"output_id", r.output_id},
          {"voice", {{"name", voice.profile().name}, {"consent", c.id}, {"performer", c.performer}, {"studio", c.studio}, {"uses", c.uses}}},
          {"fps", r.fps}, {"video_seconds", r.video_seconds}, {"output_seconds", r.output_seconds},
          {"frames", {{"out", r.frames_out}, {"changed", r.frames_changed}, {"silenced", r.frames_silenced}}},
          {"audio", {{"rate", o.mix.rate}, {"target_lufs", o.mix.target_lufs}, {"loudness_lufs", finite(r.mix.loudness_lufs)},
                     {"gain_db", r.mix.gain_db}, {"peak_dbfs", finite(r.mix.peak_dbfs)}, {"peak_limited", r.mix.peak_limited},
                     {"bed", r.bed}}},
          {"sync", sync}, {"watermark_payloads", payload_list(r.watermark_payloads)},
          {"lines", lines}, {"skipped", skipped}, {"stages", stages}};
}

}  // namespace

void DubOptions::validate() const {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw InvalidArgument("dub: " + what);
  };
  need(!video.empty(), "--video is required");
  need(!script.empty(), "--script is required");
  need(fs::path(output).extension() == ".mp4", "-o '" + output + "' must be an .mp4 (the signed manifest is embedded as a box)");
  need(!synthesizer.empty() && !vocoder.empty() && !lipsync_model.empty() && !sync_expert.empty(), "model files are required");
  need(keep_original_under < 0 || background.empty(), "--background and --keep-original-audio-under exclude each other");
  need(keep_original_under < 0 || keep_original_under <= 60, "--keep-original-audio-under must be in [0, 60] dB");
  need(margin >= 0 && margin <= 2, "--margin must be in [0, 2] seconds");
  need(face >= -1, "--face must be a track id or -1");
  need(threads >= 1 && threads <= 64, "--threads must be in [1, 64]");
  for (const std::string& in : {video, script, background})
    need(in.empty() || fs::absolute(in).lexically_normal() != fs::absolute(output).lexically_normal(),
         "-o '" + output + "' must not be one of the inputs");
  fit.validate();
  mix.validate();
}

DubReport dub_video(const DubOptions& o, const AuthorizedVoice& voice, const SigningKey& key,
                    const std::function<void(const DubProgress&)>& progress_fn) {
  o.validate();
  const StageProgress progress(progress_fn);
  const auto t_total = Clock::now();
  DubReport r;
  auto stage_done = [&](const char* name, Clock::time_point t0) { r.stages.emplace_back(name, since(t0)); };

  // Plan: the script against the video, every line's fit, before any audio is made.
  auto t0 = Clock::now();
  progress("plan", 0);
  const Script script = read_script(o.script);
  for (const SkippedCue& s : script.skipped) r.skipped.emplace_back(s.index, s.reason);
  VideoInfo info;
  {
    VideoReader reader(o.video);
    info = reader.info();
  }
  if (!(info.duration > 0)) throw FormatError(o.video + ": the container states no duration");
  r.fps = info.fps;
  r.video_seconds = info.duration;
  check_script_within(script, info.duration, o.script);
  if (o.keep_original_under >= 0 && !info.has_audio)
    throw InvalidArgument("dub: --keep-original-audio-under: " + o.video + " has no audio track to keep");

  const std::string lang = voice.language();
  const std::vector<float>& speaker = voice.profile().embedding;
  torch::set_num_threads(o.threads);
  TextToSpeech tts(o.synthesizer);
  if (!tts.encoder().empty() && tts.encoder() != voice.profile().encoder)
    throw InvalidArgument("dub: the voice was made with the encoder '" + voice.profile().encoder +
                          "', the synthesizer expects '" + tts.encoder() + "': enroll the voice again");
  SayOptions natural;
  natural.lang = lang;
  natural.seed = o.seed;
  std::string overflow;
  for (std::size_t i = 0; i < script.lines.size(); ++i) {
    const ScriptLine& l = script.lines[i];
    DubLine d;
    d.index = l.index, d.start = l.start, d.end = l.end, d.text = l.text;
    for (const SentencePlan& s : tts.plan(l.text, speaker, natural)) d.natural_seconds += s.durations.seconds;
    const double next = i + 1 < script.lines.size() ? script.lines[i + 1].start : info.duration;
    const LineFit f = fit_line(d.natural_seconds, l.slot(), next - l.end, o.fit);
    d.fit = f.fit, d.target_seconds = f.target_seconds, d.available_seconds = f.available_seconds, d.stretch = f.stretch;
    if (f.fit == "overflow") {
      char buf[256];
      std::snprintf(buf, sizeof buf, "\n  cue %d (%s --> %s): needs %.2f s at the fastest allowed rate (stretch %.2f), has %.2f s",
                    l.index, subtitle_time(l.start).c_str(), subtitle_time(l.end).c_str(), f.target_seconds, o.fit.min_stretch,
                    f.available_seconds);
      overflow += buf;
    }
    r.lines.push_back(d);
    progress("plan", double(i + 1) / script.lines.size());
  }
  if (!overflow.empty())
    throw InvalidArgument("dub: " + o.script + ": lines too long for their slots" +
                          (o.fit.overflow == OverflowPolicy::Borrow ? " even using the pause after them" : "") +
                          "; shorten the text, widen the cue, or allow a faster rate (--min-stretch):" + overflow);
  stage_done("plan", t0);

  // Synthesis, line by line, kept in the work directory.
  t0 = Clock::now();
  const std::string work = o.work_dir.empty() ? o.output + ".work" : o.work_dir;
  if (!o.resume) clear_work(work);
  fs::create_directories(work + "/lines");
  std::string models = sha256_file_hex(o.synthesizer);
  if (fs::is_regular_file(o.vocoder)) models += sha256_file_hex(o.vocoder);
  else models += o.vocoder;
  const std::unique_ptr<Vocoder> vocoder = open_vocoder(o.vocoder);
  const int rate = TextToSpeech::kSampleRate;
  Waveform dialogue{rate, std::vector<float>(static_cast<std::size_t>(std::lround(info.duration * rate)), 0.f)};
  double total_target = 0, done_target = 0;
  for (const DubLine& d : r.lines) total_target += d.target_seconds;
  for (std::size_t i = 0; i < r.lines.size(); ++i) {
    DubLine& d = r.lines[i];
    char stem[32];
    std::snprintf(stem, sizeof stem, "/lines/%04d", d.index);
    const std::string wav = work + stem + ".wav", keyfile = work + stem + ".key";
    const std::string k = line_key(d, lang, voice.profile().signature, models, o.seed);
    Waveform w;
    if (o.resume && fs::exists(wav) && fs::exists(keyfile) && read_small_file(keyfile, 256, "resume key") == k) {
      w = read_mono(wav);
      d.resumed = true;
    } else {
      SayOptions so = natural;
      so.durations.total_seconds = d.target_seconds;
      so.durations.min_stretch = 0.01;  // the fit already bounded the stretch
      so.durations.max_stretch = 10;
      w.rate = rate;
      tts.say(d.text, speaker, so, *vocoder, [&](const Waveform& piece) {
        w.samples.insert(w.samples.end(), piece.samples.begin(), piece.samples.end());
      });
      // Frames meet the target; samples to within half a frame: made exact here.
      w.samples.resize(static_cast<std::size_t>(std::lround(d.target_seconds * rate)), 0.f);
      write_audio(wav, w);
      write_file_atomic(keyfile, k);
    }
    d.achieved_seconds = w.seconds();
    d.speech_start = d.start;
    d.speech_end = d.start + d.achieved_seconds;
    const std::size_t at = static_cast<std::size_t>(std::lround(d.start * rate));
    for (std::size_t j = 0; j < w.samples.size() && at + j < dialogue.samples.size(); ++j) dialogue.samples[at + j] += w.samples[j];
    done_target += d.target_seconds;
    progress("synthesis", done_target / std::max(1e-9, total_target));
  }
  stage_done("synthesis", t0);

  // Mix, loudness, watermark.
  t0 = Clock::now();
  progress("mix", 0);
  std::vector<std::pair<double, double>> speech_spans, render_spans;
  for (const DubLine& d : r.lines) {
    speech_spans.emplace_back(d.speech_start, d.speech_end);
    render_spans.emplace_back(d.speech_start - o.margin, d.speech_end + o.margin);
  }
  const std::string dialogue_path = work + "/dialogue.wav", mix_path = work + "/mix.wav";
  {  // the timeline's audio lives on disk from here on: the lip-sync stage reads what it needs
    Waveform bed;
    r.bed = "silence";
    MixOptions mo = o.mix;
    if (!o.background.empty()) {
      bed = read_mono(o.background);
      r.bed = "background";
    } else if (o.keep_original_under >= 0) {
      bed = read_audio_track(o.video, mo.rate);
      mo.duck_db = o.keep_original_under;
      r.bed = "original";
    }
    const Waveform mixed = mix_dub(dialogue, bed, speech_spans, info.duration, mo, r.mix);
    r.output_id = new_output_id();
    AudioMarker marker(key.watermark, voice.consent().id, r.output_id, mo.rate);
    Waveform marked = marker.push(mixed);
    const Waveform tail = marker.finish();
    marked.samples.insert(marked.samples.end(), tail.samples.begin(), tail.samples.end());
    r.watermark_payloads = marker.payloads();
    for (DubLine& d : r.lines)
      for (std::size_t b = 0; b < r.watermark_payloads.size(); ++b)
        if (b + 1 > d.speech_start && double(b) < d.speech_end) d.watermark_payloads.push_back(r.watermark_payloads[b]);
    write_audio(dialogue_path, dialogue);
    write_audio(mix_path, marked);
    dialogue = Waveform{};
  }
  progress("mix", 1);
  stage_done("mix", t0);

  // Lip-sync over the lines.
  t0 = Clock::now();
  LipSyncVideoOptions l;
  l.video = o.video;
  l.audio = dialogue_path;
  l.mux_audio = mix_path;
  l.output = o.output;
  l.model = o.lipsync_model;
  l.face = o.face;
  l.spans = render_spans;
  l.silence_gate = o.silence_gate;
  l.composite = o.composite;
  l.label = o.label;
  const std::unique_ptr<SyncJudge> judge = load_sync_judge(o.sync_expert);
  SyncFrames sync_frames(*judge);  // the expert's input, embedded as frames are composited
  l.on_frame = [&](const cv::Mat& bgr, const Landmarks* landmarks, double pts) { sync_frames.add(bgr, landmarks, pts); };
  const LipSyncVideoReport lr = lipsync_video(l, [&](long done, long total) {
    progress("lipsync", double(done) / std::max(1L, total));
  });
  r.frames_out = lr.frames_out;
  r.frames_changed = lr.frames_changed;
  r.frames_silenced = lr.frames_silenced;
  r.output_seconds = lr.output_seconds;
  stage_done("lipsync", t0);

  // The expert's view of the result, against the dialogue alone (music would only blur it), on
  // the composited frames before encoding.
  t0 = Clock::now();
  progress("sync", 0);
  if (lr.frames_changed > 0) {
    const SyncScore s = score_sync_frames(sync_frames, info.fps, read_mono(dialogue_path), {}, o.output);
    r.synced = true;
    r.sync_offset = s.offset;
    r.sync_confidence = s.confidence;
    for (std::size_t w = 0; w < s.window_times.size(); ++w) {
      const auto [conf, off] = window_sync(s, w);
      r.window_seconds.push_back(s.window_times[w]);
      r.window_confidence.push_back(conf);
      r.window_offset.push_back(off);
    }
    for (DubLine& d : r.lines) {
      const SyncScore ls = sync_over(s, d.speech_start, d.speech_end);
      d.sync_windows = ls.windows;
      if (ls.windows > 0 && std::isfinite(ls.confidence)) d.sync_offset = ls.offset, d.sync_confidence = ls.confidence;
      else d.sync_windows = 0;
    }
  }
  progress("sync", 1);
  stage_done("sync", t0);

  // Manifest, render log, report.
  t0 = Clock::now();
  std::optional<ManifestRegion> region;
  if (lr.frames_changed > 0)
    region = ManifestRegion{lr.first_changed, lr.last_changed, lr.changed_box.x, lr.changed_box.y, lr.changed_box.width,
                            lr.changed_box.height};
  std::vector<std::string> model_files = {o.synthesizer};
  if (fs::is_regular_file(o.vocoder)) model_files.push_back(o.vocoder);
  model_files.push_back(o.lipsync_model);
  Manifest m = dub_manifest(voice, r.output_id, o.output, o.video, o.script, o.background, o.source_language, model_files,
                            o.software, region);
  m.watermark_payloads = r.watermark_payloads;
  m.disclosures.push_back({o.territory, "on-screen label", !o.label.empty()});
  sign_output(o.output, m, key, o.render_log, "dub");
  progress("sign", 1);
  stage_done("sign", t0);
  r.stages.emplace_back("total", since(t_total));
  r.report_path = o.output + ".dub.json";
  write_file_atomic(r.report_path, report_json(o, voice, r).dump(2) + "\n");
  if (!o.keep_work) clear_work(work);
  return r;
}

}  // namespace dubkit
