// dubkit sync score | batch | shift | make-set | eval | redrive
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/progress.hpp"
#include "sync/batch.hpp"
#include "sync/detection_eval.hpp"
#include "sync/manipulate.hpp"
#include "sync/redrive.hpp"
#include "sync/sync_score.hpp"
#include "sync/sync_set.hpp"
#include "sync/timeline.hpp"
#include "tools/commands.hpp"

namespace dubkit::cli {
namespace {

const char* kExpertHelp =
    "Sync expert: dubkit's (default: models/sync_expert.safetensors) or the public SyncNet evaluation "
    "model's file (syncnet_v2.model, loaded by its layout)";

nlohmann::ordered_json finite_or_null(double v) { return std::isfinite(v) ? nlohmann::ordered_json(v) : nullptr; }

void register_score(CLI::App* sync) {
  struct Opts {
    std::string video, expert, timeline, plot;
    SyncScoreOptions s;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = sync->add_subcommand("score", "Audio-video offset, confidence and LSE-D / LSE-C of a talking face");
  cmd->add_option("video", o->video, "Video with a face and an audio track")->required();
  cmd->add_option("--audio", o->s.audio, "Judge this speech instead of the video's own audio track");
  cmd->add_option("--shift", o->s.audio_shift, "Seconds added to the audio's timing before judging (positive: later)")->capture_default_str();
  cmd->add_option("--expert", o->expert, kExpertHelp);
  cmd->add_option("--max-offset", o->s.max_offset, "Frames searched either side")->capture_default_str();
  cmd->add_option("--face", o->s.face, "Track id; -1 = the largest face")->capture_default_str();
  cmd->add_option("--timeline", o->timeline, "Write the per-window timeline as CSV");
  cmd->add_option("--plot", o->plot, "Write a PNG of the distance per offset and the timeline");
  cmd->add_flag("--json", o->json, "Print the result as JSON");
  cmd->footer("offset: frames by which the audio lags the video (positive: the sound comes late; the public\n"
              "SyncNet script prints the opposite sign). LSE-D: the smallest mean distance over offsets; LSE-C:\n"
              "the median minus that minimum.\n"
              "Example: dubkit sync score dubbed.mp4 --json --timeline /tmp/sync.csv --plot /tmp/sync.png");
  cmd->callback([o] {
    for (const std::string& out : {o->timeline, o->plot})
      if (!out.empty()) check_output_path(out, {o->video});
    const auto judge = load_sync_judge(model_path(o->expert, kDefaultSyncExpert, "--expert"));
    const SyncScore r = score_sync(o->video, *judge, o->s);
    if (!o->timeline.empty()) write_sync_timeline(r, o->timeline);
    if (!o->plot.empty()) write_sync_plot(r, o->plot, o->video);
    if (o->json) {
      print_json({{"video", o->video}, {"model", r.model}, {"offset", r.offset}, {"confidence", r.confidence},
                  {"confidence_at_zero", finite_or_null(r.confidence_at_zero)}, {"lse_d", r.min_distance},
                  {"lse_c", r.confidence}, {"min_distance", r.min_distance}, {"distances", r.distances},
                  {"frames", r.frames}, {"face_frames", r.face_frames}, {"windows", r.windows}, {"faces", r.faces},
                  {"fps", r.fps}});
      return;
    }
    std::printf("offset %+d frames (%+.0f ms), confidence %.3f (at 0: %.3f), LSE-D %.3f, LSE-C %.3f, %ld windows (%s)\n",
                r.offset, 1000.0 * r.offset / r.fps, r.confidence, r.confidence_at_zero, r.min_distance, r.confidence,
                r.windows, r.model.c_str());
  });
}

void register_batch(CLI::App* sync) {
  struct Opts {
    SyncBatchOptions b;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = sync->add_subcommand("batch", "Score many videos into one resumable CSV, several at once");
  cmd->add_option("list", o->b.list, "Text file, one video per line (relative paths from the list's folder)")->required();
  cmd->add_option("-o,--output", o->b.output, "Results CSV (rerun the same command to resume it)")->required();
  cmd->add_option("--expert", o->b.expert, kExpertHelp);
  cmd->add_option("--jobs", o->b.jobs, "Files scored at once")->capture_default_str();
  cmd->add_option("--max-offset", o->b.score.max_offset, "Frames searched either side")->capture_default_str();
  cmd->add_flag("--json", o->json, "Print the run's counts as JSON");
  cmd->footer("Rows: file,status,offset,confidence,confidence_at_zero,lse_d,lse_c,frames,face_frames,windows,faces,fps,\n"
              "model,seconds,error; status ok | no_audio | no_face | too_short | unreadable | error.\n"
              "Example: dubkit sync batch set/list.txt -o set/results.csv --jobs 2");
  cmd->callback([o] {
    o->b.expert = model_path(o->b.expert, kDefaultSyncExpert, "--expert");
    std::unique_ptr<Progress> progress;
    const SyncBatchReport r = run_sync_batch(o->b, [&](long done, long total) {
      if (!progress) progress = std::make_unique<Progress>("sync batch", total, !o->json);
      progress->update(done);
    });
    if (progress) progress->done();
    if (o->json) {
      print_json({{"list", o->b.list}, {"output", o->b.output}, {"files", r.files}, {"skipped", r.skipped},
                  {"scored", r.scored}, {"failed", r.failed}, {"seconds", r.seconds}});
      return;
    }
    std::printf("%ld files: %ld scored, %ld without a score, %ld already in %s (%.1f s)\n", r.files, r.scored, r.failed,
                r.skipped, o->b.output.c_str(), r.seconds);
  });
}

void register_shift(CLI::App* sync) {
  struct Opts {
    std::string video, output;
    int frames = 0;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = sync->add_subcommand("shift", "Re-encode a video with its audio delayed by N frames (ground truth for sync tests)");
  cmd->add_option("video", o->video, "Input video with an audio track")->required();
  cmd->add_option("--frames", o->frames, "Delay of the audio in video frames (negative: earlier)")->required();
  cmd->add_option("-o,--output", o->output, "Output MP4")->required();
  cmd->footer("`dubkit sync score` on the output should find offset N.\n"
              "Example: dubkit sync shift clip.mp4 --frames 5 -o clip.shift5.mp4");
  cmd->callback([o] {
    check_output_path(o->output, {o->video});
    shift_audio(o->video, o->frames, o->output);
    std::printf("%s: audio %+d frames\n", o->output.c_str(), o->frames);
  });
}

void register_make_set(CLI::App* sync) {
  struct Opts {
    SyncSetOptions s;
    bool no_swap = false, no_dub = false, json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = sync->add_subcommand("make-set", "Build a labelled sync test set from synthetic faces: original, shifted, swapped "
                                               "and dubbed clips");
  cmd->add_option("--corpus", o->s.corpus_dir, "Audio corpus (dubkit corpus build) with phone timings")->required();
  cmd->add_option("--out", o->s.out_dir, "Output directory (labels.csv, list.txt, clips/)")->required();
  cmd->add_option("--clips", o->s.clips, "Source clips")->capture_default_str();
  cmd->add_option("--split", o->s.split, "Corpus split the utterances come from")->capture_default_str();
  cmd->add_option("--min-shift", o->s.min_shift, "Smallest audio shift, frames")->capture_default_str();
  cmd->add_option("--max-shift", o->s.max_shift, "Largest audio shift, frames")->capture_default_str();
  cmd->add_option("--model", o->s.lipsync_model, std::string("Generator for the dubbed clips (default: models/") + kDefaultLipSync + ")");
  cmd->add_option("--seed", o->s.seed, "Seed of the utterance sample and faces")->capture_default_str();
  cmd->add_option("--width", o->s.width, "Frame width, pixels")->capture_default_str();
  cmd->add_option("--height", o->s.height, "Frame height, pixels")->capture_default_str();
  cmd->add_flag("--no-swap", o->no_swap, "No swapped-audio clips");
  cmd->add_flag("--no-dub", o->no_dub, "No dubbed clips");
  cmd->add_flag("--json", o->json, "Print the counts as JSON");
  cmd->footer("Example: dubkit sync make-set --corpus corpus --out sync_set --clips 20");
  cmd->callback([o] {
    o->s.swap = !o->no_swap;
    o->s.dub = !o->no_dub;
    if (o->s.dub) o->s.lipsync_model = model_path(o->s.lipsync_model, kDefaultLipSync, "--model");
    std::unique_ptr<Progress> progress;
    const SyncSetReport r = make_sync_set(o->s, [&](int done, int total) {
      if (!progress) progress = std::make_unique<Progress>("sync make-set", total, !o->json);
      progress->update(done);
    });
    if (progress) progress->done();
    if (o->json) {
      print_json({{"out", o->s.out_dir}, {"sources", r.sources}, {"files", r.files}, {"real", r.real}, {"fake", r.fake},
                  {"seconds", r.seconds}});
      return;
    }
    std::printf("%s: %d sources, %ld clips (%ld real, %ld fake), labels.csv and list.txt (%.0f s)\n", o->s.out_dir.c_str(),
                r.sources, r.files, r.real, r.fake, r.seconds);
  });
}

void register_eval(CLI::App* sync) {
  struct Opts {
    std::string labels, results, roc, markdown;
    DetectionEvalOptions e;
    std::optional<double> threshold;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = sync->add_subcommand("eval", "ROC, AUC, equal error rate and accuracy of a sync score per manipulation, and "
                                           "offset accuracy per shift");
  cmd->add_option("labels", o->labels, "labels.csv (sync make-set)")->required();
  cmd->add_option("results", o->results, "results.csv (sync batch)")->required();
  cmd->add_option("--score", o->e.score, "Column that ranks clips: confidence_at_zero, lse_c, lse_d (lower is better) or confidence")
      ->capture_default_str();
  cmd->add_option("--threshold", o->threshold, "Decision threshold on the score (default: the equal-error threshold of real "
                                               "against all fakes)");
  cmd->add_option("--roc", o->roc, "Write the ROC curves as PNG");
  cmd->add_option("--markdown", o->markdown, "Write the tables as Markdown");
  cmd->add_flag("--json", o->json, "Print the evaluation as JSON");
  cmd->footer("Example: dubkit sync eval set/labels.csv set/results.csv --roc set/roc.png --markdown set/eval.md");
  cmd->callback([o] {
    for (const std::string& out : {o->roc, o->markdown})
      if (!out.empty()) check_output_path(out, {o->labels, o->results});
    o->e.has_threshold = o->threshold.has_value();
    o->e.threshold = o->threshold.value_or(0);
    const DetectionEval e = evaluate_detection(read_csv(o->labels), o->labels, read_csv(o->results), o->results, o->e);
    if (!o->roc.empty()) write_roc_png(e, o->roc);
    const std::string md = detection_markdown(e);
    if (!o->markdown.empty()) write_file_atomic(o->markdown, md);
    if (!o->json) {
      std::fputs(md.c_str(), stdout);
      return;
    }
    nlohmann::ordered_json groups = nlohmann::ordered_json::array(), offsets = nlohmann::ordered_json::array();
    for (const DetectionGroup& g : e.groups)
      groups.push_back({{"group", g.name}, {"real", g.real}, {"fake", g.fake}, {"unscored_fake", g.unscored_fake},
                        {"auc", g.roc.auc}, {"eer", g.roc.eer}, {"accuracy", g.accuracy}, {"real_accepted", g.real_accepted},
                        {"fake_rejected", g.fake_rejected}, {"mean_fake", g.mean_fake}, {"roc_fpr", g.roc.fpr},
                        {"roc_tpr", g.roc.tpr}});
    for (const OffsetAccuracy& a : e.offsets)
      offsets.push_back({{"shift", a.shift}, {"clips", a.clips}, {"scored", a.scored}, {"exact", a.exact},
                         {"within_1", a.within_1}});
    print_json({{"score", e.score}, {"threshold", e.threshold}, {"threshold_given", e.threshold_given}, {"real", e.real},
                {"mean_real", e.mean_real},
                {"unscored_real", e.unscored_real}, {"missing", e.missing}, {"unlabelled", e.unlabelled},
                {"groups", groups}, {"offsets", offsets}});
  });
}

void register_redrive(CLI::App* sync) {
  struct Opts {
    LipSyncEvalOptions e;
    bool json = false;
    bool no_gate = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = sync->add_subcommand("redrive", "Re-drive held-out talking-face clips with other speech and measure the output's sync");
  cmd->add_option("--faces", o->e.faces_dir, "Talking-face clips (dubkit corpus faces)")->required();
  cmd->add_option("--corpus", o->e.corpus_dir, "The audio corpus they were made from")->required();
  cmd->add_option("--out", o->e.out_dir, "Directory for the re-driven MP4s")->required();
  cmd->add_option("--model", o->e.model, std::string("Generator (default: models/") + kDefaultLipSync + ")");
  cmd->add_option("--expert", o->e.expert, std::string("Sync expert (default: models/") + kDefaultSyncExpert + ")");
  cmd->add_option("--split", o->e.split, "Clips of this split")->capture_default_str();
  cmd->add_option("--clips", o->e.clips, "Number of clips")->capture_default_str();
  cmd->add_option("--closed-gap", o->e.closed_gap, "Inner-lip gap / face height below which a mouth is closed (0: calibrated on the "
                                                   "original clips' mouths drawn closed)")
      ->capture_default_str();
  cmd->add_option("--threads", o->e.threads, "LibTorch threads of the generator")->capture_default_str();
  cmd->add_flag("--no-silence-gate", o->no_gate, "Measure with lipsync's silence gate off (the generator's own mouth in pauses)");
  cmd->add_flag("--json", o->json, "Print the report as JSON");
  cmd->footer("Example: dubkit sync redrive --faces faces --corpus corpus --out /tmp/sync_eval --clips 10 --json");
  cmd->callback([o] {
    o->e.model = model_path(o->e.model, kDefaultLipSync, "--model");
    o->e.silence_gate = !o->no_gate;
    o->e.expert = model_path(o->e.expert, kDefaultSyncExpert, "--expert");
    Progress progress("sync redrive", o->e.clips, !o->json);
    const LipSyncEvalReport r = evaluate_lipsync(o->e, [&](int done, int) { progress.update(done); });
    progress.done();
    auto mouth = [](const MouthMeasures& m) {
      return nlohmann::ordered_json{{"envelope_peak_lag", m.envelope_peak_lag}, {"envelope_peak_corr", m.envelope_peak_corr},
                                    {"envelope_corr_at_zero", m.envelope_corr_at_zero}, {"pause_frames", m.pause_frames},
                                    {"pause_closed", m.pause_closed}};
    };
    nlohmann::ordered_json clips = nlohmann::ordered_json::array();
    for (const auto& c : r.clips)
      clips.push_back({{"video", c.video}, {"speech", c.speech}, {"offset", c.offset}, {"confidence", c.confidence},
                       {"confidence_at_zero", c.confidence_at_zero}, {"shifted_confidence_at_zero", c.shifted_confidence_at_zero},
                       {"redriven", mouth(c.redriven)}, {"original", mouth(c.original)}});
    const nlohmann::ordered_json j{{"clips", r.clips.size()}, {"offset_within_1", r.offset_within_1},
                                   {"confidence_at_zero", r.confidence_at_zero},
                                   {"shifted_confidence_at_zero", r.shifted_confidence_at_zero},
                                   {"envelope_lag_within_1", r.envelope_lag_within_1},
                                   {"envelope_corr_at_zero", r.envelope_corr_at_zero}, {"pause_closed", r.pause_closed},
                                   {"pause_frames", r.pause_frames},
                                   {"original_envelope_corr_at_zero", r.original_envelope_corr_at_zero},
                                   {"closed_threshold", r.closed_threshold}, {"open_read_as_closed", r.open_read_as_closed},
                                   {"calibration_closed_frames", r.calibration_closed_frames},
                                   {"calibration_open_frames", r.calibration_open_frames},
                                   {"per_clip", clips}};
    if (o->json) {
      print_json(j);
      return;
    }
    std::printf("%zu clips: offset within 1 frame %.0f%%, confidence at 0 %.3f (original shifted 5 frames: %.3f)\n"
                "mouth vs speech envelope: peak lag within 1 frame %.0f%%, correlation at 0 %.3f\n"
                "pauses over 200 ms: mouth closed in %.0f%% of %ld frames\n"
                "original clips with their own speech: correlation at 0 %.3f\n"
                "closed: opening below %.4f (95%% of %ld mouths drawn closed; %.1f%% of %ld drawn wide open read as closed)\n",
                r.clips.size(), 100 * r.offset_within_1, r.confidence_at_zero, r.shifted_confidence_at_zero,
                100 * r.envelope_lag_within_1, r.envelope_corr_at_zero, 100 * r.pause_closed, r.pause_frames,
                r.original_envelope_corr_at_zero, r.closed_threshold, r.calibration_closed_frames,
                100 * r.open_read_as_closed, r.calibration_open_frames);
  });
}

}  // namespace

void register_sync(CLI::App& app) {
  auto* sync = app.add_subcommand("sync", "Audio-visual sync of talking faces: scores, test sets with ground truth, evaluation");
  sync->require_subcommand(1);
  sync->footer("docs/SYNC.md explains the figures. Example: dubkit sync score clip.mp4 --json --plot /tmp/sync.png");
  register_score(sync);
  register_batch(sync);
  register_shift(sync);
  register_make_set(sync);
  register_eval(sync);
  register_redrive(sync);
}

}  // namespace dubkit::cli
