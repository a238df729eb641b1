// The plan, mix, render and score stages (dub_stages.hpp); synthesize is line_synthesis.cpp.
#include "dub/dub_stages.hpp"

#include <cmath>
#include <cstdio>

#include "audio/io.hpp"
#include "core/error.hpp"
#include "dub/script.hpp"
#include "video/subtitles.hpp"

namespace dubkit {

DubPlan plan_dub(const DubOptions& o, TextToSpeech& tts, const std::vector<float>& speaker, const std::string& lang,
                 const StageProgressFn& progress) {
  if (progress) progress(0);
  DubPlan plan;
  const Script script = read_script(o.script);
  for (const SkippedCue& s : script.skipped) plan.skipped.emplace_back(s.index, s.reason);
  plan.video = VideoReader(o.video).info();
  const VideoInfo& info = plan.video;
  if (!(info.duration > 0)) throw FormatError(o.video + ": the container states no duration");
  check_script_within(script, info.duration, o.script);
  if (o.keep_original_under >= 0 && !info.has_audio)
    throw InvalidArgument("dub: --keep-original-audio-under: " + o.video + " has no audio track to keep");

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
    plan.lines.push_back(d);
    if (progress) progress(double(i + 1) / script.lines.size());
  }
  if (!overflow.empty())
    throw InvalidArgument("dub: " + o.script + ": lines too long for their slots" +
                          (o.fit.overflow == OverflowPolicy::Borrow ? " even using the pause after them" : "") +
                          "; shorten the text, widen the cue, or allow a faster rate (--min-stretch):" + overflow);
  return plan;
}

DubMix mix_timeline(const Waveform& dialogue, const DubPlan& plan, const DubOptions& o) {
  std::vector<std::pair<double, double>> speech_spans;
  for (const DubLine& d : plan.lines) speech_spans.emplace_back(d.speech_start, d.speech_end);
  DubMix m;
  m.bed = "silence";
  MixOptions mo = o.mix;
  Waveform bed;
  if (!o.background.empty()) {
    bed = read_mono(o.background);
    m.bed = "background";
  } else if (o.keep_original_under >= 0) {
    bed = read_audio_track(o.video, mo.rate);
    mo.duck_db = o.keep_original_under;
    m.bed = "original";
  }
  m.sound = mix_dub(dialogue, bed, speech_spans, plan.video.duration, mo, m.report);
  return m;
}

LipSyncVideoReport render_lines(const DubPlan& plan, const DubOptions& o, const std::string& dialogue_wav,
                                const std::string& mix_wav, const std::string& label, const FrameMark& mark,
                                SyncFrames& frames, const StageProgressFn& progress) {
  LipSyncVideoOptions l;
  l.video = o.video;
  l.audio = dialogue_wav;
  l.mux_audio = mix_wav;
  l.output = o.output;
  l.model = o.lipsync_model;
  l.face = o.face;
  for (const DubLine& d : plan.lines) l.spans.emplace_back(d.speech_start - o.margin, d.speech_end + o.margin);
  l.silence_gate = o.silence_gate;
  l.composite = o.composite;
  l.label = label;
  l.mark = mark;
  l.on_frame = [&](const cv::Mat& bgr, const Landmarks* landmarks, double pts) { frames.add(bgr, landmarks, pts); };
  return lipsync_video(l, [&](long done, long total) {
    if (progress) progress(double(done) / std::max(1L, total));
  });
}

void score_lines(SyncFrames& frames, double fps, const Waveform& dialogue, const std::string& output, DubReport& r) {
  const SyncScore s = score_sync_frames(frames, fps, dialogue, {}, output);
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
    d.synced = ls.windows > 0 && std::isfinite(ls.confidence);
    if (d.synced) d.sync_offset = ls.offset, d.sync_confidence = ls.confidence;
    else d.sync_windows = 0;
  }
}

void assign_line_payloads(DubReport& r) {
  for (DubLine& d : r.lines)
    for (std::size_t b = 0; b < r.watermark_payloads.size(); ++b)
      if (b + 1 > d.speech_start && double(b) < d.speech_end) d.watermark_payloads.push_back(r.watermark_payloads[b]);
}

}  // namespace dubkit
