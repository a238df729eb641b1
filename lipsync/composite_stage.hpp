// Stage three of the lipsync job (lipsync_video.hpp), on the encoding thread: makes each frame
// as it will be encoded.
//
// For a frame to re-render, the silence gate's closed mouth is mixed over the generated one
// (at the face's own resolution, by the frame's silence weight), then the crop is pasted back
// (compositor.hpp). A frame counts as changed when the pasted region is not empty; the caller's
// `mark` then gets the frame and the region. Then the caller's `on_frame` sees the frame, and
// the disclosure label is drawn on it.
#pragma once

#include <functional>
#include <string>

#include <opencv2/core.hpp>

#include "faces/landmarks.hpp"
#include "lipsync/compositor.hpp"
#include "lipsync/pending_frame.hpp"

namespace dubkit {

// What the frames seen so far came to; indices count the frames passed to the stage.
struct CompositeTally {
  long frames = 0;                             // frames seen
  long changed = 0;                            // of those, frames whose mouth region was pasted
  long first_changed = -1, last_changed = -1;  // their first and last index
  cv::Rect changed_box;                        // union of the pasted regions, frame pixels
  double seconds = 0;                          // wall time in the stage, on_frame included
};

// Fed the frames in output order; not thread-safe.
class CompositeStage {
 public:
  // `on_frame`, `mark`: as LipSyncVideoOptions's (may be empty). `label`: "" = none.
  CompositeStage(const CompositeOptions& composite,
                 std::function<void(const cv::Mat& bgr, const Landmarks* landmarks, double pts)> on_frame, FrameMark mark,
                 std::string label)
      : composite_(composite), on_frame_(std::move(on_frame)), mark_(std::move(mark)), label_(std::move(label)) {}

  // Writes into p.frame (and p.crop, p.alignment); throws what the compositor and on_frame throw.
  void operator()(PendingFrame& p);
  const CompositeTally& tally() const { return tally_; }

 private:
  const CompositeOptions composite_;
  const std::function<void(const cv::Mat&, const Landmarks*, double)> on_frame_;
  const FrameMark mark_;
  const std::string label_;
  CompositeTally tally_;
};

}  // namespace dubkit
