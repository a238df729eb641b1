// Audio-visual sync of a talking face, judged by the SyncNet expert (the SyncNet evaluation's
// method, with the colour expert): for every window of 5 consecutive frames where the face is
// tracked, the distance between its face embedding and the audio embedding of the mel window
// `d` frames later, averaged over the windows, for every offset d in [-max_offset, max_offset].
//
//   offset      the d with the smallest mean distance: the number of frames by which the audio
//               lags the video (positive: the sound comes late; shift the audio earlier by
//               that much to fix it)
//   confidence  median over d of the mean distance minus its minimum (SyncNet's measure: how
//               clearly one offset stands out)
//   confidence_at_zero  median minus the distance at d = 0: how well the clip is in sync as it
//               stands (negative when another offset fits better)
// Distances are Euclidean between the unit embeddings (0 = same direction, 2 = opposite).
// Memory: the chosen face's lower half-crops (14 KB per frame: 8-bit 48 x 96 BGR), not the frames.
#pragma once

#include <string>
#include <vector>

#include "audio/waveform.hpp"
#include "faces/landmarks.hpp"
#include "lipsync/syncnet.hpp"

namespace dubkit {

struct SyncScoreOptions {
  std::string audio;          // speech to judge against the video; empty: the video's own audio track
  double audio_shift = 0;     // seconds added to the audio's timing (positive: later), for experiments
  int max_offset = 15;        // frames searched either side
  int face = -1;              // track id; -1 = the largest face
  int batch = 64;             // windows per expert call
};

struct SyncScore {
  int offset = 0;
  double confidence = 0;
  double confidence_at_zero = 0;
  double min_distance = 0;
  std::vector<double> distances;  // mean distance per offset, d = -max_offset .. max_offset
  long frames = 0;                // decoded frames
  long windows = 0;               // 5-frame windows with a tracked face
  double fps = 0;
  // Per window, in time order: the presentation time of its first frame (seconds) and its
  // distance at each offset (NaN where the audio does not reach): the timeline, and what
  // sync_over() summarises for a span.
  std::vector<double> window_times;
  std::vector<std::vector<double>> window_distances;
};

// The score of the windows that start within [from, to) seconds (e.g. one dubbed line), from a
// full score's per-window distances: offset and confidences as above, `windows` the count (0,
// with NaN figures, when no window starts there); frames, fps and the timeline are left empty.
SyncScore sync_over(const SyncScore& s, double from, double to);

// One window's own confidence and best offset (median minus minimum over its offsets): the
// per-window timeline. NaN / 0 when no offset reaches audio.
std::pair<double, int> window_sync(const SyncScore& s, std::size_t window);

// The expert's input gathered frame by frame from any source (a decoded video, or frames as
// lipsync composites them): per frame its time and, when the face is tracked, the lower half
// of its 96-pixel aligned crop. Not thread-safe.
class SyncFrames {
 public:
  // `landmarks` null: no face in this frame. `bgr` is read during the call only.
  void add(const cv::Mat& bgr, const Landmarks* landmarks, double pts);
  long size() const { return static_cast<long>(times_.size()); }

 private:
  friend SyncScore score_sync_frames(const SyncFrames&, double, const Waveform&, SyncNet&, const SyncScoreOptions&,
                                     const std::string&);
  std::vector<torch::Tensor> halves_;  // [3, 48, 96] uint8, undefined when no face
  std::vector<double> times_;
};

// Scores gathered frames against `speech` (any rate; on the frames' timeline; opts.audio is not
// read, opts.audio_shift applies). `fps` is the frames' rate; `name` is used in messages.
SyncScore score_sync_frames(const SyncFrames& frames, double fps, const Waveform& speech, SyncNet& expert,
                            const SyncScoreOptions& opts, const std::string& name);

// Throws FormatError naming the file when the video has no audio track (and no `audio` is
// given) and InvalidArgument when no window of 5 tracked frames exists (no face).
SyncScore score_sync(const std::string& video, SyncNet& expert, const SyncScoreOptions& opts = {});

}  // namespace dubkit
