// `dubkit faces`: the faces tracked through a whole video, frame by frame, optionally drawn
// into a preview video (boxes, the 68 landmarks, track ids).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "faces/tracker.hpp"

namespace dubkit {

struct FrameFaces {
  long frame = 0;
  double pts = 0;                   // seconds
  std::vector<TrackedFace> faces;   // valid ones only, largest first
};

struct VideoFaces {
  int width = 0, height = 0;
  double fps = 0;
  std::vector<FrameFaces> frames;
  // Mean frame-to-frame displacement of the smoothed and raw landmarks, pixels, over frames
  // where the same track is found in consecutive frames: on a still face this is the jitter.
  double jitter_smoothed = 0, jitter_raw = 0;
};

// `preview`: when not empty, an MP4 of the video with the tracks drawn. IoError/FormatError
// as VideoReader for the input.
VideoFaces track_video(const std::string& video, const std::string& preview = "",
                       const std::function<void(long done, long total)>& progress = {});

}  // namespace dubkit
