// The input frames of the lipsync job: the video's own frames, then, while the speech outlasts
// them, the same frames backward and forward in turn (ping-pong), so the face keeps moving
// naturally.
//
// Memory: one decoded frame (the reader's). The extension needs the frames again; they are
// spilled to `spill_dir` (lossless PNG) as they are first decoded, but only when the container
// states a video shorter than `needed_seconds` by at least half a frame, or no duration. When it
// overstated the video's length (nothing was spilled, the speech still outlasts the frames), the
// last frame is held as a still; so is the only frame of a one-frame video.
//
// `spill_dir` is removed, with whatever is in it, when the source is destroyed (also when an
// error unwinds): it must be a path of the caller's own, e.g. next to the output.
#pragma once

#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "video/video_reader.hpp"

namespace dubkit {

// Not thread-safe; one per job.
class FrameSource {
 public:
  // Throws what VideoReader throws for `path`, and IoError when `spill_dir` cannot be made.
  FrameSource(const std::string& path, double needed_seconds, std::string spill_dir);
  ~FrameSource();
  FrameSource(const FrameSource&) = delete;
  FrameSource& operator=(const FrameSource&) = delete;

  const VideoInfo& info() const { return reader_.info(); }
  // Frames of the input decoded so far.
  long decoded() const { return static_cast<long>(durations_.size()); }
  // The input has been played once: further frames are the extension.
  bool extending() const { return forward_done_; }

  // The next frame to show and how long it shows (as decoded). Returns false once, when the
  // input's frames are used up; calls after that return the extension's frames, forever (false
  // for a video without frames). A held still is a copy of the last frame as it was returned
  // (it shares its pixels until then): whoever writes into that frame must be done with it
  // before the first extension frame is asked for. Throws IoError when a spilled frame cannot
  // be written or read back.
  bool next(cv::Mat& bgr, double& duration);

 private:
  std::string spill_path(long i) const;
  VideoReader reader_;
  std::string spill_dir_;
  bool spill_ = false, forward_done_ = false;
  cv::Mat last_;
  std::vector<double> durations_;
  long position_ = 0, step_ = -1;
};

}  // namespace dubkit
