// Talking-face clips the video benchmarks share: a synthetic face (mouth opening and closing at
// 3 Hz, small head motion) with speech-like audio, 25 fps, rendered on first use and kept in
// the system temp dir, so every run of every program sees the same clip.
#pragma once

#include <cmath>
#include <filesystem>
#include <string>

#include "audio/io.hpp"
#include "bench/signals.hpp"
#include "talking_faces/synthetic_face.hpp"
#include "talking_faces/visemes.hpp"
#include "video/video_writer.hpp"

namespace dubkit::bench {

// TMP/dubkit-bench-lipsync/clip<seconds>[_WxH].mp4 and speech<...>.wav beside it (1280x720
// keeps the original names).
inline std::string talking_clip(double seconds, int width = 1280, int height = 720) {
  namespace fs = std::filesystem;
  const std::string dir = (fs::temp_directory_path() / "dubkit-bench-lipsync").string();
  fs::create_directories(dir);
  const std::string tag = std::to_string(static_cast<int>(seconds)) +
                          (width == 1280 && height == 720 ? "" : "_" + std::to_string(width) + "x" + std::to_string(height));
  const std::string path = dir + "/clip" + tag + ".mp4", audio = dir + "/speech" + tag + ".wav";
  if (fs::exists(path) && fs::exists(audio)) return path;
  const Waveform speech = noisy_tone(16000, seconds);
  write_audio(audio, speech);
  FaceIdentity id = FaceIdentity::random(3);
  id.face_height = 0.45;
  VideoWriter w(path, width, height, speech);
  for (int i = 0; i < static_cast<int>(std::lround(seconds * 25)); ++i) {
    const double t = i / 25.0;
    MouthShape m;
    m.open = 0.5 + 0.5 * std::sin(2 * M_PI * 3 * t);
    w.write(render_face(id, head_motion_at(3, t), m, cv::Size(width, height)), t);
  }
  w.finish();
  return path;
}

// The speech WAV beside a clip made by talking_clip().
inline std::string speech_for(const std::string& clip_path) {
  std::string s = clip_path;
  s.replace(s.rfind("/clip") + 1, 4, "speech");
  return s.substr(0, s.size() - 4) + ".wav";
}

}  // namespace dubkit::bench
