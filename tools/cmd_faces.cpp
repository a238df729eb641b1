// dubkit faces
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>

#include "core/progress.hpp"
#include "faces/face_tracks.hpp"
#include "tools/commands.hpp"

namespace dubkit::cli {

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

}  // namespace dubkit::cli
