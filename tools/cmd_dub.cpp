// dubkit dub
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "core/error.hpp"
#include "core/progress.hpp"
#include "dub/dub_check.hpp"
#include "jobs/dub_job.hpp"
#include "tools/commands.hpp"

namespace dubkit::cli {

namespace {

void register_dub_check(CLI::App& app) {
  auto o = std::make_shared<DubCheckOptions>();
  auto json = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("dub-check", "Measure a finished dub independently: words or phones heard, voice, slots, sync, marks");
  cmd->add_option("dubbed", o->dubbed, "The dub's MP4 (its report OUTPUT.dub.json beside it)")->required();
  cmd->add_option("--enrollment", o->enrollment, "The actor's enrollment audio: speaker similarity of every line to it");
  cmd->add_option("--encoder", o->encoder, std::string("Speaker encoder (default: models/") + kDefaultEncoder + ")");
  cmd->add_option("--expert", o->sync_expert, std::string("Sync expert (default: models/") + kDefaultSyncExpert + ")");
  cmd->add_option("--key", o->key, "Studio key: look for the watermark in every second");
  cmd->add_flag("--json", *json, "Print the measures as JSON");
  cmd->footer("Example: dubkit dub-check out/demo/presenter.es.mp4 --enrollment samples/sample.wav --key samples/consent/demo-studio.key");
  cmd->callback([o, json] {
    o->encoder = model_path(o->encoder, kDefaultEncoder, "--encoder");
    o->sync_expert = model_path(o->sync_expert, kDefaultSyncExpert, "--expert");
    const DubCheckReport r = check_dub(*o);
    auto opt = [](double v) { return v < 0 ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(v); };
    if (*json) {
      nlohmann::ordered_json lines = nlohmann::ordered_json::array();
      for (const DubCheckLine& l : r.lines)
        lines.push_back({{"index", l.index}, {"text", l.text}, {"heard", l.heard}, {r.measure, l.error_rate},
                         {"reference_" + r.measure, opt(l.reference_error_rate)}, {"voice_similarity", opt(l.voice_similarity)}});
      print_json({{"dubbed", o->dubbed}, {"lang", r.lang}, {"measure", r.measure}, {r.measure, r.mean_error_rate},
                  {"reference_" + r.measure, opt(r.mean_reference_error_rate)}, {"voice_similarity", opt(r.mean_voice_similarity)},
                  {"voice_threshold", r.voice_threshold}, {"voiced_segments", r.voiced_segments},
                  {"voiced_outside_slots", r.voiced_outside_slots}, {"worst_overrun_seconds", r.worst_overrun},
                  {"sync_offset", r.sync_offset}, {"sync_confidence", r.sync_confidence}, {"blocks", r.blocks},
                  {"blocks_marked", r.blocks_marked < 0 ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.blocks_marked)},
                  {"lines", lines}});
      return;
    }
    for (const DubCheckLine& l : r.lines) {
      std::printf("  %3d  %s %.2f", l.index, r.measure.c_str(), l.error_rate);
      if (l.reference_error_rate >= 0) std::printf(" (reference %.2f)", l.reference_error_rate);
      if (l.voice_similarity >= 0) std::printf("  voice %.3f", l.voice_similarity);
      std::printf("  %s\n       heard: %s\n", l.text.c_str(), l.heard.c_str());
    }
    std::printf("%s: %s %.3f", o->dubbed.c_str(), r.measure.c_str(), r.mean_error_rate);
    if (r.mean_reference_error_rate >= 0) std::printf(" (reference: %.3f, %s)", r.mean_reference_error_rate,
                                                  r.measure == "wer" ? "the original's sound in the slots" : "espeak-ng's voice reading the lines");
    if (r.mean_voice_similarity >= 0) std::printf(", voice similarity %.3f (same-speaker threshold %.3f)", r.mean_voice_similarity, r.voice_threshold);
    std::printf("\nslots: %ld of %ld voiced stretches outside every slot (worst by %.3f s)\nsync: offset %+d frames, confidence %.3f\n",
                r.voiced_outside_slots, r.voiced_segments, r.worst_overrun, r.sync_offset, r.sync_confidence);
    if (r.blocks_marked >= 0) std::printf("marks: found in %ld of %ld seconds\n", r.blocks_marked, r.blocks);
  });
}

}  // namespace

void register_dub(CLI::App& app) {
  register_dub_check(app);
  struct Opts {
    DubJobOptions job;
    std::string vocoder = "default";
    std::string overflow = "borrow";
    bool no_disclosure = false, no_gate = false, json = false;
  };
  auto o = std::make_shared<Opts>();
  o->job.publish = PublishOptions::defaults();
  DubOptions& d = o->job.dub;
  PublishOptions& publish = o->job.publish;
  auto* cmd = app.add_subcommand("dub", "Dub a video: a translated, timed script spoken in the actor's consented voice, lips re-rendered");
  cmd->add_option("--video", d.video, "The actor's footage (any container/codec FFmpeg reads)")->required();
  cmd->add_option("--voice", o->job.voice, "The actor's voice profile (dubkit voice enroll)")->required();
  cmd->add_option("--script", d.script, "Translated, timed lines: SubRip (.srt) or WebVTT (.vtt), UTF-8, one line per cue")
      ->required();
  cmd->add_option("-o,--output", d.output, "Dubbed MP4 (signed manifest embedded and beside it; report in OUTPUT.dub.json)")
      ->required();
  cmd->add_option("--lang", o->job.lang, "Language of the script (the voice's consent must cover it)")->capture_default_str();
  cmd->add_option("--source-lang", d.source_language, "Language of the original, for the manifest")->capture_default_str();
  cmd->add_option("--background", d.background, "Music-and-effects stem to mix the dialogue over (any rate)");
  cmd->add_option("--keep-original-audio-under", d.keep_original_under,
                  "Keep the original audio track, this many dB quieter while a line plays (voice-over)");
  cmd->add_option("--loudness", d.mix.target_lufs, "Integrated loudness of the mix, LUFS (EBU R128)")->capture_default_str();
  cmd->add_option("--max-peak", d.mix.max_peak_dbfs, "Sample-peak ceiling, dBFS (the gain stops there)")->capture_default_str();
  cmd->add_option("--min-stretch", d.fit.min_stretch, "Fastest allowed delivery (durations x this)")->capture_default_str();
  cmd->add_option("--max-stretch", d.fit.max_stretch, "Slowest allowed delivery")->capture_default_str();
  cmd->add_option("--overflow", o->overflow,
                  "A line too long for its slot: borrow (run on into the pause after it, up to --gap before the next line) "
                  "or fail")
      ->capture_default_str()
      ->check(CLI::IsMember({"borrow", "fail"}));
  cmd->add_option("--gap", d.fit.gap, "Seconds kept silent before the next line when borrowing")->capture_default_str();
  cmd->add_option("--face", d.face, "Track id to re-render (see dubkit faces); -1 = the largest")->capture_default_str();
  cmd->add_option("--margin", d.margin, "Seconds of re-rendered frames before and after each line")->capture_default_str();
  cmd->add_flag("--no-silence-gate", o->no_gate, "Leave the generator's mouth in pauses of 200 ms or more");
  cmd->add_flag("--no-disclosure", o->no_disclosure,
                std::string("Leave out the on-screen label \"") + kDubLabel + "\" (recorded in the manifest)");
  cmd->add_option("--territory", publish.territory, "Where the output is published (recorded with its disclosure)")
      ->capture_default_str();
  cmd->add_option("--key", publish.key, "Studio key: watermark key and manifest signature ($DUBKIT_KEY)")->capture_default_str();
  cmd->add_option("--trust", publish.trust_dir, "Trust store ($DUBKIT_TRUST_DIR)")->capture_default_str();
  cmd->add_option("--render-log", publish.render_log, "Render log ($DUBKIT_RENDER_LOG)")->capture_default_str();
  cmd->add_option("--synthesizer", d.synthesizer, std::string("Synthesizer (default: models/") + kDefaultSynthesizer + ")");
  cmd->add_option("--vocoder", o->vocoder, std::string("Vocoder: default (models/") + kDefaultVocoder + "), griffinlim, or a file")
      ->capture_default_str();
  cmd->add_option("--model", d.lipsync_model, std::string("Lip-sync generator (default: models/") + kDefaultLipSync + ")");
  cmd->add_option("--expert", d.sync_expert, std::string("Sync expert (default: models/") + kDefaultSyncExpert + ")");
  cmd->add_option("--work-dir", d.work_dir, "Where finished lines are kept until the dub succeeds (default: OUTPUT.work)");
  cmd->add_flag("--resume", d.resume, "Reuse the finished lines of an interrupted run");
  cmd->add_flag("--keep-work", d.keep_work, "Keep the work directory (line WAVs, dialogue and mix) after success");
  cmd->add_option("--seed", d.seed, "Seed of the synthesizer's prenet dropout")->capture_default_str();
  cmd->add_option("--threads", d.threads, "LibTorch threads for synthesis")->capture_default_str();
  cmd->add_flag("--json", o->json, "Print the report (as written to OUTPUT.dub.json)");
  cmd->footer("Example: dubkit dub --video samples/presenter.mp4 --voice actor.voice --script samples/presenter.es.srt --lang es "
              "-o presenter.es.mp4");
  cmd->callback([o] {
    DubOptions& d = o->job.dub;
    d.fit.overflow = o->overflow == "fail" ? OverflowPolicy::Fail : OverflowPolicy::Borrow;
    d.synthesizer = model_path(d.synthesizer, kDefaultSynthesizer, "--synthesizer");
    d.vocoder = vocoder_spec(o->vocoder);
    d.lipsync_model = model_path(d.lipsync_model, kDefaultLipSync, "--model");
    d.sync_expert = model_path(d.sync_expert, kDefaultSyncExpert, "--expert");
    d.silence_gate = !o->no_gate;
    o->job.publish.disclose = !o->no_disclosure;
    Progress progress("dub", 1000, !o->json);
    const DubReport r = dub_job(o->job, [&](const DubProgress& p) {
      char label[64];
      std::snprintf(label, sizeof label, "dub [%s %3.0f%%]", p.stage.c_str(), 100 * p.stage_fraction);
      progress.update(std::lround(1000 * p.overall_fraction), label);
    });
    progress.done();
    if (o->json) {
      print_json(r.to_json());
      return;
    }
    if (r.frames_changed == 0)
      std::fprintf(stderr, "dub: warning: no face was tracked; the video was dubbed audio only (frames unchanged)\n");
    for (const DubLine& l : r.lines) {
      std::printf("  %3d  %7.2f-%7.2f  %-8s %.2f s (slot %.2f, stretch %.2f)", l.index, l.start, l.end, l.fit.c_str(),
                  l.achieved_seconds, l.end - l.start, l.stretch);
      if (l.sync_windows > 0) std::printf("  sync %+d, confidence %.2f", l.sync_offset, l.sync_confidence);
      std::printf("  %s\n", l.text.c_str());
    }
    for (const auto& [i, why] : r.skipped) std::printf("  cue %d skipped: %s\n", i, why.c_str());
    double total = 0;
    for (const auto& [name, s] : r.stages)
      if (name == "total") total = s;
    std::printf("%s: %zu lines, %ld frames (%ld re-rendered), %.1f s, loudness %.1f LUFS%s, %zu marked seconds, %.1f s wall\n",
                d.output.c_str(), r.lines.size(), r.frames_out, r.frames_changed, r.output_seconds, r.mix.loudness_lufs,
                r.mix.peak_limited ? " (peak-limited)" : "", r.watermark_payloads.size(), total);
    if (r.synced) std::printf("sync: offset %+d frames, confidence %.2f\n", r.sync_offset, r.sync_confidence);
    std::printf("report: %s\n", r.report_path.c_str());
  });
}

}  // namespace dubkit::cli
