#include "lipsync/tiny_media.hpp"

#include <cmath>

#include "lipsync/model_files.hpp"
#include "support.hpp"
#include "sync/expert_files.hpp"
#include "talking_faces/synthetic_face.hpp"
#include "video/video_writer.hpp"

namespace dubkit::test {

void write_face_clip(const std::string& path, double seconds) {
  VideoWriter w(path, 320, 240, test_tone(16000, seconds, 180.0));
  const int frames = static_cast<int>(std::lround(seconds * 25));
  for (int i = 0; i < frames; ++i) {
    MouthShape m;
    m.open = 0.5 + 0.5 * std::sin(2 * M_PI * 3 * i / 25.0);
    w.write(render_face(FaceIdentity::random(5), HeadPose{}, m, cv::Size(320, 240)), i / 25.0);
  }
  w.finish();
}

void write_tiny_networks(const std::string& generator, const std::string& expert) {
  LipSyncConfig g;
  g.width = 0.125;
  save_lipsync_generator(generator, Wav2Lip(g));
  SyncNetConfig e;
  e.width = 0.125;
  save_sync_expert(expert, SyncNet(e));
}

}  // namespace dubkit::test
