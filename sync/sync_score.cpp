#include "sync/sync_score.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <set>

#include "audio/io.hpp"
#include "audio/resample.hpp"
#include "core/worker_stage.hpp"
#include "faces/tracker.hpp"
#include "video/video_reader.hpp"

namespace dubkit {
namespace {

// Speech at 16 kHz, shifted by `shift` seconds (positive: later).
Waveform shifted(const Waveform& speech, double shift) {
  Waveform w = resample(speech, 16000);
  const long n = std::lround(std::abs(shift) * 16000);
  if (shift > 0) w.samples.insert(w.samples.begin(), n, 0.f);
  if (shift < 0) w.samples.erase(w.samples.begin(), w.samples.begin() + std::min<long>(n, w.samples.size()));
  return w;
}

// offset, confidence, min_distance and confidence_at_zero of per-offset mean distances (NaN
// where no window has audio at that offset); confidence NaN when none has any.
void summarize(SyncScore& s, int max_offset) {
  std::vector<double> finite;
  for (double v : s.distances)
    if (std::isfinite(v)) finite.push_back(v);
  if (finite.empty()) {
    s.confidence = s.confidence_at_zero = s.min_distance = std::nan("");
    return;
  }
  const auto best = std::min_element(s.distances.begin(), s.distances.end(),
                                     [](double a, double b) { return std::isfinite(a) && (!std::isfinite(b) || a < b); });
  s.offset = static_cast<int>(best - s.distances.begin()) - max_offset;
  s.min_distance = *best;
  // The lower middle for an even count, as torch.median takes it in the public evaluation.
  std::nth_element(finite.begin(), finite.begin() + (finite.size() - 1) / 2, finite.end());
  const double median = finite[(finite.size() - 1) / 2];
  s.confidence = median - s.min_distance;
  // NaN when no face window has audio at offset 0 (speech shorter than the face's first window).
  s.confidence_at_zero = median - s.distances[max_offset];
}

void check(const SyncScoreOptions& o) {
  if (o.max_offset < 0 || o.max_offset > 100) throw InvalidArgument("sync score: --max-offset must be in 0..100");
  if (o.batch < 1) throw InvalidArgument("sync score: batch must be at least 1");
}

}  // namespace

const char* failure_name(SyncFailure f) {
  switch (f) {
    case SyncFailure::no_audio: return "no_audio";
    case SyncFailure::no_face: return "no_face";
    case SyncFailure::too_short: return "too_short";
  }
  return "?";
}

SyncScore sync_over(const SyncScore& s, double from, double to) {
  SyncScore r;
  const int offsets = s.window_distances.empty() ? 0 : static_cast<int>(s.window_distances.front().size());
  std::vector<double> sum(offsets, 0.0);
  std::vector<long> count(offsets, 0);
  for (std::size_t w = 0; w < s.window_times.size(); ++w) {
    if (s.window_times[w] < from || s.window_times[w] >= to) continue;
    ++r.windows;
    for (int d = 0; d < offsets; ++d)
      if (std::isfinite(s.window_distances[w][d])) sum[d] += s.window_distances[w][d], ++count[d];
  }
  for (int d = 0; d < offsets; ++d) r.distances.push_back(count[d] ? sum[d] / count[d] : std::nan(""));
  summarize(r, offsets / 2);
  return r;
}

std::pair<double, int> window_sync(const SyncScore& s, std::size_t window) {
  SyncScore one;
  one.distances = s.window_distances.at(window);
  summarize(one, static_cast<int>(one.distances.size()) / 2);
  return {one.confidence, one.offset};
}

// The last frames() crops, the windows found so far and a worker embedding them in batches.
struct SyncFrames::Impl {
  Impl(SyncJudge& j, int b) : judge(j), batch(std::max(1, b)), worker([this](torch::Tensor& w) { embed(w); }, 2) {}
  void embed(const torch::Tensor& windows) {
    torch::InferenceMode inference;  // thread-local: set on the worker
    embedded.push_back(judge.embed_faces(windows));
  }
  void flush() {
    if (pending.empty()) return;
    worker.push(torch::stack(pending));
    pending.clear();
  }
  SyncJudge& judge;
  int batch;
  std::deque<torch::Tensor> recent;    // crops of the last frames() frames, undefined where no face
  std::vector<torch::Tensor> pending;  // complete windows [frames, C, H, W] not yet pushed
  std::vector<long> starts;            // first frame of each complete window
  long face_frames = 0;
  bool finished = false;
  std::vector<torch::Tensor> embedded;  // written by the worker only, read after finish()
  WorkerStage<torch::Tensor> worker;    // last member: its thread stops before the rest is destroyed
};

SyncFrames::SyncFrames(SyncJudge& judge, int batch) : impl_(std::make_unique<Impl>(judge, batch)) {}
SyncFrames::~SyncFrames() = default;

void SyncFrames::add(const cv::Mat& bgr, const Landmarks* landmarks, double pts) {
  Impl& m = *impl_;
  if (m.finished) throw std::logic_error("SyncFrames::add after scoring");
  times_.push_back(pts);
  m.recent.push_back(landmarks ? m.judge.crop(bgr, *landmarks) : torch::Tensor());
  if (landmarks) ++m.face_frames;
  const int n = m.judge.frames();
  if (static_cast<int>(m.recent.size()) > n) m.recent.pop_front();
  if (static_cast<int>(m.recent.size()) < n) return;
  for (const torch::Tensor& c : m.recent)
    if (!c.defined()) return;
  m.starts.push_back(size() - n);
  m.pending.push_back(torch::stack(std::vector<torch::Tensor>(m.recent.begin(), m.recent.end())));
  if (static_cast<int>(m.pending.size()) >= m.batch) m.flush();
}

namespace {

struct FaceModels {
  const FaceDetector* detector;
  const LandmarkModel* landmarks;
};

// Decodes on the calling thread and tracks on a worker (which asks for the face models only
// when the first frame arrives, so they may still be loading while decoding starts), while
// SyncFrames embeds complete windows on a third: the three overlap on 2 cores.
SyncScore track_and_score(const std::string& video, SyncJudge& judge, const SyncScoreOptions& o,
                          const std::function<FaceModels()>& models) {
  check(o);  // before the video is decoded
  VideoReader reader(video);
  if (o.audio.empty() && !reader.info().has_audio)
    throw SyncUnscorable(SyncFailure::no_audio, "sync score: " + video + " has no audio track (give --audio)");
  const Waveform speech = o.audio.empty() ? read_audio_track(video, 16000) : read_mono(o.audio);
  FaceTrackerOptions to;
  if (reader.info().fps > 0) to.fps = reader.info().fps;
  SyncFrames frames(judge, o.batch);
  std::unique_ptr<FaceTracker> tracker;
  std::set<int> tracks;
  int target = o.face;
  {
    WorkerStage<VideoFrame> tracking(
        [&](VideoFrame& f) {
          if (!tracker) {
            const FaceModels m = models();
            tracker = std::make_unique<FaceTracker>(*m.detector, *m.landmarks, to);
          }
          const Landmarks* found = nullptr;
          const auto faces = tracker->update(f.bgr);
          for (const TrackedFace& face : faces) {
            if (!face.valid) continue;
            tracks.insert(face.track);
            if (target < 0) target = face.track;
            if (face.track == target) found = &face.landmarks;
          }
          frames.add(f.bgr, found, f.pts);
        },
        8);  // 8 decoded frames at most wait (22 MB at 1280 x 720)
    VideoFrame f;
    // A moved-from frame has no pixels, so the reader decodes the next one into a new buffer.
    while (reader.read(f)) tracking.push(std::move(f));
    tracking.finish();
  }
  SyncScore s = score_sync_frames(frames, reader.info().fps, speech, o, video);
  s.faces = static_cast<long>(tracks.size());
  return s;
}

}  // namespace

SyncScore score_sync(const std::string& video, SyncJudge& judge, const SyncScoreOptions& o) {
  check(o);  // before the models load
  // The face models load side by side (the detector takes about 0.4 s, the landmark model 0.7 s)
  // while the video starts decoding.
  auto detector = std::async(std::launch::async, [] { return std::make_unique<const FaceDetector>(); });
  auto landmarks = std::async(std::launch::async, [] { return std::make_unique<const LandmarkModel>(); });
  std::unique_ptr<const FaceDetector> d;
  std::unique_ptr<const LandmarkModel> l;
  return track_and_score(video, judge, o, [&] {
    d = detector.get();
    l = landmarks.get();
    return FaceModels{d.get(), l.get()};
  });
}

SyncScore score_sync(const std::string& video, SyncJudge& judge, const SyncScoreOptions& o, const FaceDetector& detector,
                     const LandmarkModel& landmarks) {
  return track_and_score(video, judge, o, [&] { return FaceModels{&detector, &landmarks}; });
}

SyncScore score_sync_frames(SyncFrames& frames, double fps, const Waveform& speech, const SyncScoreOptions& o,
                            const std::string& video) {
  check(o);
  SyncFrames::Impl& m = *frames.impl_;
  m.flush();
  m.finished = true;
  m.worker.finish();
  torch::InferenceMode inference;  // no autograd bookkeeping at all (faster than NoGradGuard)
  SyncJudge& judge = m.judge;
  SyncScore s;
  s.model = judge.name();
  s.fps = fps > 0 ? fps : 25.0;
  s.frames = frames.size();
  s.face_frames = m.face_frames;
  if (m.starts.empty() && s.frames < judge.frames())
    throw SyncUnscorable(SyncFailure::too_short, "sync score: " + video + ": " + std::to_string(s.frames) +
                                                     " frames, fewer than one window of " + std::to_string(judge.frames()));
  if (m.starts.empty())
    throw SyncUnscorable(SyncFailure::no_face, "sync score: " + video + ": no " + std::to_string(judge.frames()) +
                                                   " consecutive frames with a tracked face (" +
                                                   std::to_string(s.face_frames) + " of " + std::to_string(s.frames) +
                                                   " frames have one)");
  const FeatureMatrix features = judge.features(shifted(speech, o.audio_shift));
  const std::vector<double>& times = frames.times_;
  const torch::Tensor fe = torch::cat(m.embedded);

  // Audio embeddings per frame position t + d (times extrapolated past the ends at the clip's
  // frame rate). Positions whose audio window is not covered are left out, or count as a zero
  // embedding when the judge pads edges.
  const double dt = 1.0 / s.fps;
  auto time_of = [&](long i) { return i < 0 ? times.front() + i * dt : i >= s.frames ? times.back() + (i - s.frames + 1) * dt : times[i]; };
  const long first = m.starts.front() - o.max_offset, last = m.starts.back() + o.max_offset;
  std::vector<double> covered;
  std::vector<long> row_of;  // per position: its row in the audio embeddings, -1 if not covered
  for (long i = first; i <= last; ++i) {
    const double t = time_of(i);
    const bool in = judge.covers(features, t);
    row_of.push_back(in ? static_cast<long>(covered.size()) : -1);
    if (in) covered.push_back(t);
  }
  if (covered.empty())
    throw SyncUnscorable(SyncFailure::too_short, "sync score: " + video + ": the audio covers no face window");
  std::vector<torch::Tensor> audio_emb;
  for (std::size_t b = 0; b < covered.size(); b += o.batch) {
    const std::vector<double> part(covered.begin() + b, covered.begin() + std::min(covered.size(), b + o.batch));
    audio_emb.push_back(judge.embed_audio(features, part));
  }
  torch::Tensor ae = torch::cat(audio_emb);
  if (judge.pads_edges()) ae = torch::cat({ae, torch::zeros({1, ae.size(1)})});  // the zero row
  const long zero_row = judge.pads_edges() ? ae.size(0) - 1 : -1;
  // Every face window against every audio embedding at once; then each window reads its
  // offsets' columns. |face + 1e-6 - audio| is torch's pairwise_distance with its default eps,
  // which the public evaluation uses.
  constexpr int64_t kNoMatmul = 2;  // cdist's exact difference-based mode, not |a|^2 + |b|^2 - 2ab
  const torch::Tensor all =
      torch::cdist((fe + 1e-6).unsqueeze(0), ae.unsqueeze(0), 2.0, kNoMatmul).squeeze(0).to(torch::kFloat64).contiguous();
  const auto dist = all.accessor<double, 2>();
  const int offsets = 2 * o.max_offset + 1;
  for (std::size_t w = 0; w < m.starts.size(); ++w) {
    std::vector<double> row(offsets, std::nan(""));
    // The public evaluation scores only windows whose own audio (d = 0) exists.
    if (judge.pads_edges() && row_of[m.starts[w] - first] < 0) continue;
    for (int d = -o.max_offset; d <= o.max_offset; ++d) {
      const long a = row_of[m.starts[w] + d - first];
      if (a >= 0 || zero_row >= 0) row[d + o.max_offset] = dist[static_cast<long>(w)][a >= 0 ? a : zero_row];
    }
    s.window_times.push_back(times[m.starts[w]]);
    s.window_distances.push_back(std::move(row));
  }
  const SyncScore all_windows = sync_over(s, -INFINITY, INFINITY);
  if (std::isnan(all_windows.confidence))
    throw SyncUnscorable(SyncFailure::too_short, "sync score: " + video + ": the audio covers no face window");
  s.windows = all_windows.windows;
  s.offset = all_windows.offset;
  s.confidence = all_windows.confidence;
  s.confidence_at_zero = all_windows.confidence_at_zero;
  s.min_distance = all_windows.min_distance;
  s.distances = all_windows.distances;
  return s;
}

}  // namespace dubkit
