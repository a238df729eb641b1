#include "lipsync/sync_score.hpp"

#include <algorithm>
#include <cmath>

#include "audio/io.hpp"
#include "audio/mel_preset.hpp"
#include "audio/resample.hpp"
#include "core/error.hpp"
#include "faces/alignment.hpp"
#include "faces/tracker.hpp"
#include "lipsync/inputs.hpp"
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
  std::nth_element(finite.begin(), finite.begin() + finite.size() / 2, finite.end());
  const double median = finite[finite.size() / 2];
  s.confidence = median - s.min_distance;
  // NaN when no face window has audio at offset 0 (speech shorter than the face's first window).
  s.confidence_at_zero = median - s.distances[max_offset];
}

void check(const SyncScoreOptions& o) {
  if (o.max_offset < 0 || o.max_offset > 100) throw InvalidArgument("sync score: --max-offset must be in 0..100");
  if (o.batch < 1) throw InvalidArgument("sync score: batch must be at least 1");
}

}  // namespace

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

void SyncFrames::add(const cv::Mat& bgr, const Landmarks* landmarks, double pts) {
  times_.push_back(pts);
  torch::Tensor half;
  if (landmarks) {
    const cv::Mat crop = warp_to_crop(bgr, align_face(*landmarks, 96));
    // from_blob over `crop`, alive until clone() has copied its lower half.
    half = torch::from_blob(crop.data, {96, 96, 3}, torch::kUInt8).narrow(0, 48, 48).permute({2, 0, 1}).clone();
  }
  halves_.push_back(half);
}

SyncScore score_sync(const std::string& video, SyncNet& expert, const SyncScoreOptions& o) {
  check(o);  // before the video is decoded
  Waveform speech = o.audio.empty() ? read_audio_track(video, 16000) : read_mono(o.audio);
  VideoReader reader(video);
  const FaceDetector detector;
  const LandmarkModel landmarks;
  FaceTrackerOptions to;
  if (reader.info().fps > 0) to.fps = reader.info().fps;
  FaceTracker tracker(detector, landmarks, to);
  SyncFrames frames;
  int target = o.face;
  VideoFrame f;
  while (reader.read(f)) {
    const Landmarks* found = nullptr;
    const auto faces = tracker.update(f.bgr);
    for (const TrackedFace& face : faces) {
      if (!face.valid) continue;
      if (target < 0) target = face.track;
      if (face.track == target) found = &face.landmarks;
    }
    frames.add(f.bgr, found, f.pts);
  }
  return score_sync_frames(frames, reader.info().fps, speech, expert, o, video);
}

SyncScore score_sync_frames(const SyncFrames& frames, double fps, const Waveform& speech, SyncNet& expert,
                            const SyncScoreOptions& o, const std::string& video) {
  check(o);
  torch::InferenceMode inference;  // no autograd bookkeeping at all (faster than NoGradGuard)
  expert->eval();
  const int frames_per_window = expert->config().frames;
  const FeatureMatrix mel = MelAnalyzer(mel_preset(expert->config().mel_preset)).compute(shifted(speech, o.audio_shift));
  if (mel.cols < kMelWindow) throw InvalidArgument("sync score: " + video + ": less than 0.2 s of audio");
  SyncScore s;
  s.fps = fps > 0 ? fps : 25.0;
  s.frames = frames.size();
  const std::vector<torch::Tensor>& halves = frames.halves_;
  const std::vector<double>& times = frames.times_;
  // Face windows: frames t .. t+4 all tracked.
  std::vector<long> starts;
  for (long t = 0; t + frames_per_window <= s.frames; ++t) {
    bool ok = true;
    for (int k = 0; k < frames_per_window && ok; ++k) ok = halves[t + k].defined();
    if (ok) starts.push_back(t);
  }
  if (starts.empty())
    throw InvalidArgument("sync score: " + video + ": no " + std::to_string(frames_per_window) +
                          " consecutive frames with a tracked face");
  s.windows = static_cast<long>(starts.size());

  // Face embeddings per window, audio embeddings per frame position t + d (times extrapolated
  // past the ends at the clip's frame rate; windows outside the audio are skipped).
  const double dt = 1.0 / s.fps;
  auto time_of = [&](long i) { return i < 0 ? times.front() + i * dt : i >= s.frames ? times.back() + (i - s.frames + 1) * dt : times[i]; };
  std::vector<torch::Tensor> face_emb, audio_emb;
  for (std::size_t b = 0; b < starts.size(); b += o.batch) {
    std::vector<torch::Tensor> faces;
    for (std::size_t i = b; i < std::min(starts.size(), b + o.batch); ++i) {
      std::vector<torch::Tensor> w;
      for (int k = 0; k < frames_per_window; ++k) w.push_back(halves[starts[i] + k]);
      faces.push_back(torch::cat(w, 0));
    }
    face_emb.push_back(expert->embed_faces(torch::stack(faces).to(torch::kFloat32).div(255.0)));
  }
  const torch::Tensor fe = torch::cat(face_emb);
  const long first = starts.front() - o.max_offset, last = starts.back() + o.max_offset;
  std::vector<double> ts;
  std::vector<bool> inside;
  for (long i = first; i <= last; ++i) {
    const double t = time_of(i);
    const long m = std::lround(t * kMelFramesPerSecond);
    inside.push_back(m >= 0 && m + kMelWindow <= mel.cols);
    ts.push_back(std::max(0.0, t));
  }
  for (std::size_t b = 0; b < ts.size(); b += o.batch) {
    const std::vector<double> part(ts.begin() + b, ts.begin() + std::min(ts.size(), b + o.batch));
    audio_emb.push_back(expert->embed_audio(mel_windows(mel, part)));
  }
  const torch::Tensor ae = torch::cat(audio_emb);
  // Every face window against every audio position at once; then each window reads its
  // offsets' columns.
  const torch::Tensor all = torch::cdist(fe.unsqueeze(0), ae.unsqueeze(0)).squeeze(0).to(torch::kFloat64).contiguous();
  const auto dist = all.accessor<double, 2>();
  const int offsets = 2 * o.max_offset + 1;
  for (std::size_t w = 0; w < starts.size(); ++w) {
    std::vector<double> row(offsets, std::nan(""));
    for (int d = -o.max_offset; d <= o.max_offset; ++d) {
      const long a = starts[w] + d - first;
      if (inside[a]) row[d + o.max_offset] = dist[static_cast<long>(w)][a];
    }
    s.window_times.push_back(times[starts[w]]);
    s.window_distances.push_back(std::move(row));
  }
  const SyncScore all_windows = sync_over(s, -INFINITY, INFINITY);
  if (std::isnan(all_windows.confidence))
    throw InvalidArgument("sync score: " + video + ": the audio does not cover any face window");
  s.offset = all_windows.offset;
  s.confidence = all_windows.confidence;
  s.confidence_at_zero = all_windows.confidence_at_zero;
  s.min_distance = all_windows.min_distance;
  s.distances = all_windows.distances;
  return s;
}

}  // namespace dubkit
