// dubkit lipsync
#include <algorithm>
#include <cstdio>
#include <memory>

#include "core/progress.hpp"
#include "jobs/lipsync_job.hpp"
#include "tools/commands.hpp"

namespace dubkit::cli {

void register_lipsync(CLI::App& app) {
  struct Opts {
    LipSyncJobOptions job;
    bool json = false;
    bool no_gate = false, no_disclosure = false;
  };
  auto o = std::make_shared<Opts>();
  o->job.publish = PublishOptions::defaults();
  LipSyncVideoOptions& l = o->job.video;
  PublishOptions& publish = o->job.publish;
  auto* cmd = app.add_subcommand("lipsync", "Re-render a face's mouth in a video to match new speech (H.264 + AAC MP4)");
  cmd->add_option("--video", l.video, "Input video")->required();
  cmd->add_option("--audio", l.audio, "New speech (WAV, FLAC, OGG)")->required();
  cmd->add_option("-o,--output", l.output, "Output MP4, with its signed manifest embedded and beside it")->required();
  cmd->add_option("--consent", o->job.consent, "Signed consent record of the performer whose mouth is re-rendered (use lip-sync)")
      ->required();
  cmd->add_option("--key", publish.key, "Studio key that signs the manifest ($DUBKIT_KEY)")->capture_default_str();
  cmd->add_option("--trust", publish.trust_dir, "Trust store ($DUBKIT_TRUST_DIR)")->capture_default_str();
  cmd->add_option("--render-log", publish.render_log, "Render log ($DUBKIT_RENDER_LOG)")->capture_default_str();
  cmd->add_option("--territory", publish.territory, "Where the output is published (recorded with its disclosure)")->capture_default_str();
  cmd->add_flag("--no-disclosure", o->no_disclosure,
                std::string("Leave out the on-screen label \"") + kDisclosureLabel + "\" (recorded in the manifest)");
  cmd->add_option("--model", l.model, std::string("Generator (default: models/") + kDefaultLipSync +
                                          "; a public wav2lip.pth works too)");
  cmd->add_option("--face", l.face, "Track id to re-render (see dubkit faces); -1 = the largest face")->capture_default_str();
  cmd->add_option("--batch", l.batch, "Frames per generator call")->capture_default_str();
  cmd->add_flag("--no-silence-gate", o->no_gate,
                "Leave the generator's mouth in pauses of the new speech (by default, pauses of 200 ms or more get "
                "the most closed mouth seen)");
  cmd->add_option("--silence-fade", l.silence_fade, "Seconds over which the silence gate fades in and out")
      ->capture_default_str();
  cmd->add_flag("--poisson", l.composite.poisson, "Poisson (seamless) blending instead of the feathered mask");
  cmd->add_option("--feather", l.composite.feather, "Feather width, fraction of the face height (not used with --poisson)")
      ->capture_default_str();
  cmd->add_option("--crf", l.encode.crf, "H.264 quality (x264 CRF, lower is better)")->capture_default_str();
  cmd->add_option("--preset", l.encode.preset, "x264 speed preset")->capture_default_str();
  cmd->add_option("--threads", l.threads, "LibTorch threads for the generator (it runs beside the tracking and encoding threads)")->capture_default_str();
  cmd->add_flag("--json", o->json, "Print the report as JSON");
  cmd->footer("Speech shorter than the video: the rest of the clip is a pause. The face is still tracked and its mouth held\n"
              "closed (with --no-silence-gate, driven by silence); the output keeps the video's length, its sound ends with\n"
              "the speech.\n"
              "Example: dubkit lipsync --video clip.mp4 --audio line.wav --consent consent.json -o dubbed.mp4");
  cmd->callback([o] {
    LipSyncJobOptions& job = o->job;
    job.video.model = model_path(job.video.model, kDefaultLipSync, "--model");
    job.video.silence_gate = !o->no_gate;
    job.publish.disclose = !o->no_disclosure;
    Progress progress("lipsync", 1000, !o->json);
    const LipSyncJobReport jr = lipsync_job(job, [&](long done, long total) {
      progress.update(std::min(done, total) * 1000 / std::max(1L, total));
    });
    progress.done();
    const LipSyncVideoReport& r = jr.video;
    if (o->json) {
      nlohmann::ordered_json tracks = nlohmann::ordered_json::array();
      for (const auto& t : r.tracks)
        tracks.push_back({{"track", t.track}, {"first_frame", t.first_frame}, {"last_frame", t.last_frame},
                          {"frames", t.frames}, {"mean_size", t.mean_size}});
      print_json({{"output", job.video.output}, {"output_id", jr.output_id}, {"consent", jr.consent_id}, {"width", r.width}, {"height", r.height}, {"frames_in", r.frames_in},
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
    std::printf("%s: %ld frames (%ld re-rendered, face track %d of %zu), %.1f s, %.1f frames/s\n", job.video.output.c_str(),
                r.frames_out, r.frames_changed, r.face_track, r.tracks.size(), r.output_seconds,
                r.total_s > 0 ? r.frames_out / r.total_s : 0.0);
  });
}

}  // namespace dubkit::cli
