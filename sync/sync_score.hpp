// Audio-visual sync of a talking face, the SyncNet evaluation's method with either expert
// (sync/sync_judge.hpp): for every window of 5 consecutive frames where the face is tracked,
// the distance between its face embedding and the audio embedding of the window starting `d`
// frames later, averaged over the windows, for every offset d in [-max_offset, max_offset].
//
//   offset      the d with the smallest mean distance: the number of frames by which the audio
//               lags the video (positive: the sound comes late; shift the audio earlier by
//               that much to fix it)
//   confidence  median over d of the mean distance minus its minimum (SyncNet's measure: how
//               clearly one offset stands out)
//   confidence_at_zero  median minus the distance at d = 0: how well the clip is in sync as it
//               stands (negative when another offset fits better)
//   LSE-D, LSE-C  the figures of the public evaluation as Wav2Lip's paper reports them: LSE-D is
//               min_distance (the smallest, over offsets, of the mean over windows), LSE-C is
//               confidence. The public script prints the offset with the opposite sign.
// Distances are Euclidean between the embeddings (dubkit's are unit length: 0 = same direction,
// 2 = opposite; syncnet_v2's are raw).
// Memory: one face embedding per window (2 KB dubkit, 4 KB syncnet_v2), not the frames.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "audio/waveform.hpp"
#include "core/error.hpp"
#include "faces/detector.hpp"
#include "faces/landmarks.hpp"
#include "sync/sync_judge.hpp"

namespace dubkit {

struct SyncScoreOptions {
  std::string audio;          // speech to judge against the video; empty: the video's own audio track
  double audio_shift = 0;     // seconds added to the audio's timing (positive: later), for experiments
  int max_offset = 15;        // frames searched either side
  int face = -1;              // track id; -1 = the largest face
  int batch = 64;             // windows per expert call
};

struct SyncScore {
  std::string model;  // SyncJudge::name()
  int offset = 0;
  double confidence = 0;
  double confidence_at_zero = 0;
  double min_distance = 0;
  std::vector<double> distances;  // mean distance per offset, d = -max_offset .. max_offset
  long frames = 0;                // decoded frames
  long windows = 0;               // 5-frame windows with a tracked face
  long face_frames = 0;           // frames where the chosen face is tracked
  long faces = 0;                 // face tracks found in the video (score_sync only)
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
// lipsync composites them): per frame its time and, when the face is tracked, the judge's crop.
// Each window of consecutive tracked frames is embedded on a worker thread as soon as it is
// complete, so the expert overlaps the decoding and tracking that feed it. add() is called from
// one thread; the judge must outlive this object.
class SyncFrames {
 public:
  explicit SyncFrames(SyncJudge& judge, int batch = 32);
  ~SyncFrames();
  SyncFrames(const SyncFrames&) = delete;
  SyncFrames& operator=(const SyncFrames&) = delete;
  // `landmarks` null: no face in this frame. `bgr` is read during the call only.
  void add(const cv::Mat& bgr, const Landmarks* landmarks, double pts);
  long size() const { return static_cast<long>(times_.size()); }

 private:
  friend SyncScore score_sync_frames(SyncFrames&, double, const Waveform&, const SyncScoreOptions&, const std::string&);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<double> times_;
};

// Scores gathered frames against `speech` (any rate; on the frames' timeline; opts.audio is not
// read, opts.audio_shift applies). `fps` is the frames' rate; `name` is used in messages. Ends
// the frames' worker: add() may not be called afterwards.
SyncScore score_sync_frames(SyncFrames& frames, double fps, const Waveform& speech, const SyncScoreOptions& opts,
                            const std::string& name);

// Why a clip has no score, for result tables that must say so rather than stop.
enum class SyncFailure { no_audio, no_face, too_short };
const char* failure_name(SyncFailure f);  // "no_audio", "no_face", "too_short"
class SyncUnscorable : public FormatError {
 public:
  SyncUnscorable(SyncFailure why, const std::string& message) : FormatError(message), why(why) {}
  SyncFailure why;
};

// Throws SyncUnscorable naming the file when the video has no audio track (and no `audio` is
// given), when it has fewer frames than one window or audio covering none of them (too short),
// or when no window of 5 tracked frames exists (no face).
// IoError / FormatError from the decoder when the file is unreadable.
SyncScore score_sync(const std::string& video, SyncJudge& judge, const SyncScoreOptions& opts = {});
// The same with the caller's face models: loading the landmark model takes about a second, so
// a batch shares one (both may be shared between threads).
SyncScore score_sync(const std::string& video, SyncJudge& judge, const SyncScoreOptions& opts,
                     const FaceDetector& detector, const LandmarkModel& landmarks);

}  // namespace dubkit
