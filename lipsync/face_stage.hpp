// Stage one of the lipsync job (lipsync_video.hpp), on the decoding thread: finds the face to
// re-render in each frame and prepares the frame for the generator.
//
// Every frame is tracked (faces/tracker.hpp). The chosen track is `face`, or, with -1, the
// largest face of the first frame where one is found. Where the chosen face is tracked, the
// frame gets its smoothed landmarks (`tracked`); where it also lies in the spans, it is to be
// re-rendered (`face`): its aligned crop, its silence weight (0 without a gate) and its
// reference crop (ReferenceMouth) are set. Other frames pass with only their pixels and times.
#pragma once

#include <map>
#include <utility>
#include <vector>

#include "faces/detector.hpp"
#include "faces/landmarks.hpp"
#include "faces/tracker.hpp"
#include "lipsync/lipsync_video.hpp"
#include "lipsync/pending_frame.hpp"
#include "lipsync/reference_mouth.hpp"
#include "lipsync/silence_gate.hpp"

namespace dubkit {

struct FaceStageOptions {
  int face = -1;        // track id to re-render; -1 = the largest face first found
  int crop_size = 96;   // the generator's face size, pixels
  double fps = 25;      // the video's frame rate, for the tracker's smoothing (<= 0: 25)
  // Spans of the output timeline (seconds, [start, end)) whose frames are re-rendered; empty = all.
  std::vector<std::pair<double, double>> spans;
};

// One per video, fed its frames in output order; not thread-safe.
class FaceStage {
 public:
  // `gate` (borrowed, must outlive the stage; null = no gate) gives the frames' silence weights
  // at their pts. `options.fps` <= 0 (unknown) counts as 25.
  FaceStage(FaceDetector detector, LandmarkModel landmarks, const FaceStageOptions& options, const SilenceGate* gate);
  FaceStage(const FaceStage&) = delete;
  FaceStage& operator=(const FaceStage&) = delete;

  // `p` holds a decoded frame and its pts; `index` is its output frame index. Fills `p` as the
  // header says. Throws what the tracker and the alignment throw.
  void operator()(PendingFrame& p, long index);

  int target() const { return target_; }  // the chosen track, -1 until one is found
  std::vector<FaceTrackSummary> tracks() const;  // every track seen, by id
  long frames_silenced() const { return frames_silenced_; }  // re-rendered frames with weight 1
  const TrackerTimes& times() const { return tracker_.times(); }

 private:
  bool in_spans(double t) const;

  const FaceDetector detector_;
  const LandmarkModel landmarks_;
  FaceTracker tracker_;  // borrows the two above: declared after them
  const FaceStageOptions options_;
  const SilenceGate* gate_;
  ReferenceMouth reference_;
  int target_;
  std::map<int, FaceTrackSummary> tracks_;
  long frames_silenced_ = 0;
};

}  // namespace dubkit
