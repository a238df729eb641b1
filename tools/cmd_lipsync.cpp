// dubkit lipsync | faces
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include "core/error.hpp"
#include "core/progress.hpp"
#include "lipsync/face_tracks.hpp"
#include "lipsync/lipsync_video.hpp"
#include "lipsync/model_files.hpp"
#include "provenance/publish.hpp"
#include "provenance/render_log.hpp"
#include "tools/commands.hpp"

namespace dubkit::cli {
namespace {

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
  register_faces(app);
}

}  // namespace dubkit::cli
