// dubkit lipsync | sync score | sync eval | faces
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include "core/error.hpp"
#include "core/progress.hpp"
#include "lipsync/face_tracks.hpp"
#include "lipsync/lipsync_video.hpp"
#include "lipsync/model_files.hpp"
#include "lipsync/sync_score.hpp"
#include "provenance/publish.hpp"
#include "provenance/render_log.hpp"
#include "tools/commands.hpp"
#include "train/lipsync_eval.hpp"

namespace dubkit::cli {
namespace {

void register_sync_eval(CLI::App* sync);

void register_lipsync_command(CLI::App& app) {
  struct Opts {
    LipSyncVideoOptions l;
    std::string consent, key = default_key_path(), trust = TrustStore::default_dir(), render_log = default_render_log();
    std::string territory = "worldwide";
    bool json = false;
    bool no_gate = false, no_disclosure = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("lipsync", "Re-render a face's mouth in a video to match new speech (H.264 + AAC MP4)");
  cmd->add_option("--video", o->l.video, "Input video")->required();
  cmd->add_option("--audio", o->l.audio, "New speech (WAV, FLAC, OGG)")->required();
  cmd->add_option("-o,--output", o->l.output, "Output MP4, with its signed manifest embedded and beside it")->required();
  cmd->add_option("--consent", o->consent, "Signed consent record of the performer whose mouth is re-rendered (use lip-sync)")
      ->required();
  cmd->add_option("--key", o->key, "Studio key that signs the manifest ($DUBKIT_KEY)")->capture_default_str();
  cmd->add_option("--trust", o->trust, "Trust store ($DUBKIT_TRUST_DIR)")->capture_default_str();
  cmd->add_option("--render-log", o->render_log, "Render log ($DUBKIT_RENDER_LOG)")->capture_default_str();
  cmd->add_option("--territory", o->territory, "Where the output is published (recorded with its disclosure)")->capture_default_str();
  cmd->add_flag("--no-disclosure", o->no_disclosure,
                std::string("Leave out the on-screen label \"") + kDisclosureLabel + "\" (recorded in the manifest)");
  cmd->add_option("--model", o->l.model, std::string("Generator (default: models/") + kDefaultLipSync +
                                            "; a public wav2lip.pth works too)");
  cmd->add_option("--face", o->l.face, "Track id to re-render (see dubkit faces); -1 = the largest face")->capture_default_str();
  cmd->add_option("--batch", o->l.batch, "Frames per generator call")->capture_default_str();
  cmd->add_flag("--no-silence-gate", o->no_gate,
                "Leave the generator's mouth in pauses of the new speech (by default, pauses of 200 ms or more get "
                "the most closed mouth seen)");
  cmd->add_option("--silence-fade", o->l.silence_fade, "Seconds over which the silence gate fades in and out")
      ->capture_default_str();
  cmd->add_flag("--poisson", o->l.composite.poisson, "Poisson (seamless) blending instead of the feathered mask");
  cmd->add_option("--feather", o->l.composite.feather, "Feather width, fraction of the face height (not used with --poisson)")
      ->capture_default_str();
  cmd->add_option("--crf", o->l.encode.crf, "H.264 quality (x264 CRF, lower is better)")->capture_default_str();
  cmd->add_option("--preset", o->l.encode.preset, "x264 speed preset")->capture_default_str();
  cmd->add_option("--threads", o->l.threads, "LibTorch threads for the generator (it runs beside the tracking and encoding threads)")->capture_default_str();
  cmd->add_flag("--json", o->json, "Print the report as JSON");
  cmd->footer("Example: dubkit lipsync --video clip.mp4 --audio line.wav --consent consent.json -o dubbed.mp4");
  cmd->callback([o] {
    if (std::filesystem::path(o->l.output).extension() != ".mp4")
      throw InvalidArgument("lipsync: output '" + o->l.output + "' must be an .mp4 (the signed manifest is embedded as a box)");
    const ConsentRecord consent = read_consent(o->consent);
    authorize_use(consent, TrustStore(o->trust), "lip-sync");
    const SigningKey key = read_signing_key(o->key);
    o->l.model = model_path(o->l.model, kDefaultLipSync, "--model");
    if (!o->no_disclosure) o->l.label = kDisclosureLabel;
    o->l.silence_gate = !o->no_gate;
    Progress progress("lipsync", 1000, !o->json);
    const LipSyncVideoReport r = lipsync_video(o->l, [&](long done, long total) {
      progress.update(std::min(done, total) * 1000 / std::max(1L, total));
    });
    progress.done();
    std::optional<ManifestRegion> region;
    if (r.frames_changed > 0)
      region = ManifestRegion{r.first_changed, r.last_changed, r.changed_box.x, r.changed_box.y, r.changed_box.width,
                              r.changed_box.height};
    const std::string output_id = new_output_id();
    Manifest m = lipsync_manifest(consent, output_id, o->l.output, o->l.video, o->l.audio, {o->l.model},
                                  std::string("dubkit lipsync ") + DUBKIT_VERSION, region);
    m.disclosures.push_back({o->territory, "on-screen label", !o->no_disclosure});
    sign_output(o->l.output, m, key, o->render_log, "lipsync");
    nlohmann::ordered_json tracks = nlohmann::ordered_json::array();
    for (const auto& t : r.tracks)
      tracks.push_back({{"track", t.track}, {"first_frame", t.first_frame}, {"last_frame", t.last_frame},
                        {"frames", t.frames}, {"mean_size", t.mean_size}});
    if (o->json) {
      print_json({{"output", o->l.output}, {"output_id", output_id}, {"consent", consent.id}, {"width", r.width}, {"height", r.height}, {"frames_in", r.frames_in},
                  {"frames_out", r.frames_out}, {"frames_changed", r.frames_changed},
                  {"frames_silenced", r.frames_silenced}, {"video_seconds", r.video_seconds}, {"audio_seconds", r.audio_seconds}, {"output_seconds", r.output_seconds}, {"face_track", r.face_track},
                  {"tracks", tracks},
                  {"seconds", {{"decode", r.decode_s}, {"detect", r.detect_s}, {"landmarks", r.landmarks_s},
                               {"network", r.network_s}, {"composite", r.composite_s}, {"encode", r.encode_s},
                               {"total", r.total_s}}},
                  {"fps", r.total_s > 0 ? r.frames_out / r.total_s : 0.0}});
      return;
    }
    if (r.frames_changed == 0)
      std::fprintf(stderr, "lipsync: warning: no face was tracked; the video was re-encoded with the new audio unchanged\n");
    std::printf("%s: %ld frames (%ld re-rendered, face track %d of %zu), %.1f s, %.1f frames/s\n", o->l.output.c_str(),
                r.frames_out, r.frames_changed, r.face_track, r.tracks.size(), r.output_seconds,
                r.total_s > 0 ? r.frames_out / r.total_s : 0.0);
  });
}

void register_sync(CLI::App& app) {
  auto* sync = app.add_subcommand("sync", "Audio-visual sync of talking faces");
  sync->require_subcommand(1);
  struct Opts {
    std::string video, expert;
    SyncScoreOptions s;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = sync->add_subcommand("score", "Estimate the audio-video offset of a talking face with the SyncNet expert");
  cmd->add_option("video", o->video, "Video with a face and an audio track")->required();
  cmd->add_option("--audio", o->s.audio, "Judge this speech instead of the video's own audio track");
  cmd->add_option("--shift", o->s.audio_shift, "Seconds added to the audio's timing before judging (positive: later)")->capture_default_str();
  cmd->add_option("--expert", o->expert, std::string("Sync expert (default: models/") + kDefaultSyncExpert + ")");
  cmd->add_option("--max-offset", o->s.max_offset, "Frames searched either side")->capture_default_str();
  cmd->add_option("--face", o->s.face, "Track id; -1 = the largest face")->capture_default_str();
  cmd->add_flag("--json", o->json, "Print the result as JSON");
  cmd->footer("offset: frames by which the audio lags the video (positive: the sound comes late).\n"
              "Example: dubkit sync score dubbed.mp4 --json");
  cmd->callback([o] {
    SyncNet expert = load_sync_expert(model_path(o->expert, kDefaultSyncExpert, "--expert"));
    const SyncScore r = score_sync(o->video, expert, o->s);
    if (o->json) {
      print_json({{"video", o->video}, {"offset", r.offset}, {"confidence", r.confidence},
                  {"confidence_at_zero", r.confidence_at_zero}, {"min_distance", r.min_distance},
                  {"distances", r.distances}, {"frames", r.frames}, {"windows", r.windows}, {"fps", r.fps}});
      return;
    }
    std::printf("offset %+d frames (%+.0f ms), confidence %.3f (at 0: %.3f), %ld windows\n", r.offset,
                1000.0 * r.offset / r.fps, r.confidence, r.confidence_at_zero, r.windows);
  });
  register_sync_eval(sync);
}

void register_sync_eval(CLI::App* sync) {
  struct Opts {
    LipSyncEvalOptions e;
    bool json = false;
    bool no_gate = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = sync->add_subcommand("eval", "Re-drive held-out talking-face clips with other speech and measure the output's sync");
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
  cmd->footer("Example: dubkit sync eval --faces faces --corpus corpus --out /tmp/sync_eval --clips 10 --json");
  cmd->callback([o] {
    o->e.model = model_path(o->e.model, kDefaultLipSync, "--model");
    o->e.silence_gate = !o->no_gate;
    o->e.expert = model_path(o->e.expert, kDefaultSyncExpert, "--expert");
    Progress progress("sync eval", o->e.clips, !o->json);
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

void register_faces(CLI::App& app) {
  struct Opts {
    std::string video, preview;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("faces", "Detect, track and landmark the faces of a video");
  cmd->add_option("video", o->video, "Input video")->required();
  cmd->add_option("--preview", o->preview, "Write an MP4 with the tracks and landmarks drawn");
  cmd->add_flag("--json", o->json, "Print tracks and per-frame landmarks as JSON");
  cmd->footer("Example: dubkit faces clip.mp4 --json --preview /tmp/faces.mp4");
  cmd->callback([o] {
    Progress progress("faces", 1000, !o->json);
    const VideoFaces r = track_video(o->video, o->preview, [&](long done, long total) {
      if (total > 0) progress.update(std::min(done, total) * 1000 / total);
    });
    progress.done();
    std::map<int, std::array<long, 3>> tracks;  // first, last, frames
    for (const FrameFaces& f : r.frames)
      for (const TrackedFace& t : f.faces) {
        auto [it, fresh] = tracks.try_emplace(t.track, std::array<long, 3>{f.frame, f.frame, 0});
        it->second[1] = f.frame;
        ++it->second[2];
      }
    if (o->json) {
      nlohmann::ordered_json tj = nlohmann::ordered_json::array(), frames = nlohmann::ordered_json::array();
      for (const auto& [id, t] : tracks) tj.push_back({{"track", id}, {"first_frame", t[0]}, {"last_frame", t[1]}, {"frames", t[2]}});
      for (const FrameFaces& f : r.frames) {
        nlohmann::ordered_json faces = nlohmann::ordered_json::array();
        for (const TrackedFace& t : f.faces) {
          nlohmann::ordered_json pts = nlohmann::ordered_json::array();
          for (const auto& p : t.landmarks) pts.push_back({std::round(p.x * 100) / 100, std::round(p.y * 100) / 100});
          faces.push_back({{"track", t.track}, {"box", {t.box.x, t.box.y, t.box.width, t.box.height}}, {"landmarks", pts}});
        }
        frames.push_back({{"frame", f.frame}, {"pts", f.pts}, {"faces", faces}});
      }
      print_json({{"video", o->video}, {"width", r.width}, {"height", r.height}, {"fps", r.fps},
                  {"frame_count", r.frames.size()}, {"tracks", tj}, {"jitter_px", {{"smoothed", r.jitter_smoothed}, {"raw", r.jitter_raw}}},
                  {"frames", frames}});
      return;
    }
    std::printf("%s: %zu frames, %zu face tracks\n", o->video.c_str(), r.frames.size(), tracks.size());
    for (const auto& [id, t] : tracks)
      std::printf("  track %d: frames %ld..%ld, found in %ld\n", id, t[0], t[1], t[2]);
  });
}

}  // namespace

void register_lipsync(CLI::App& app) {
  register_lipsync_command(app);
  register_sync(app);
  register_faces(app);
}

}  // namespace dubkit::cli
