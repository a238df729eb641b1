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

// Speech on the video's timeline at 16 kHz, shifted by `shift` seconds (positive: later).
Waveform timeline_audio(const std::string& video, const SyncScoreOptions& o) {
  Waveform w = o.audio.empty() ? read_audio_track(video, 16000) : resample(read_mono(o.audio), 16000);
  const long n = std::lround(std::abs(o.audio_shift) * 16000);
  if (o.audio_shift > 0) w.samples.insert(w.samples.begin(), n, 0.f);
  if (o.audio_shift < 0) w.samples.erase(w.samples.begin(), w.samples.begin() + std::min<long>(n, w.samples.size()));
  return w;
}

}  // namespace

SyncScore score_sync(const std::string& video, SyncNet& expert, const SyncScoreOptions& o) {
  if (o.max_offset < 0 || o.max_offset > 100) throw InvalidArgument("sync score: --max-offset must be in 0..100");
  if (o.batch < 1) throw InvalidArgument("sync score: batch must be at least 1");
  torch::InferenceMode inference;  // no autograd bookkeeping at all (faster than NoGradGuard)
  expert->eval();
  const int frames_per_window = expert->config().frames;
  const FeatureMatrix mel = MelAnalyzer(mel_preset(expert->config().mel_preset)).compute(timeline_audio(video, o));
  if (mel.cols < kMelWindow) throw InvalidArgument("sync score: " + video + ": less than 0.2 s of audio");

  VideoReader reader(video);
  const FaceDetector detector;
  const LandmarkModel landmarks;
  FaceTrackerOptions to;
  if (reader.info().fps > 0) to.fps = reader.info().fps;
  FaceTracker tracker(detector, landmarks, to);
  SyncScore s;
  s.fps = reader.info().fps > 0 ? reader.info().fps : 25.0;
  std::vector<torch::Tensor> halves;  // [3, 48, 96] uint8 per frame, undefined when no face
  std::vector<double> times;
  int target = o.face;
  VideoFrame f;
  while (reader.read(f)) {
    ++s.frames;
    times.push_back(f.pts);
    torch::Tensor half;
    for (const TrackedFace& face : tracker.update(f.bgr)) {
      if (!face.valid) continue;
      if (target < 0) target = face.track;
      if (face.track != target) continue;
      const cv::Mat crop = warp_to_crop(f.bgr, align_face(face.landmarks, 96));
      // from_blob over `crop`, alive until clone() has copied its lower half.
      half = torch::from_blob(crop.data, {96, 96, 3}, torch::kUInt8).narrow(0, 48, 48).permute({2, 0, 1}).clone();
    }
    halves.push_back(half);
  }
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
  for (int d = -o.max_offset; d <= o.max_offset; ++d) {
    double sum = 0;
    long n = 0;
    for (std::size_t w = 0; w < starts.size(); ++w) {
      const long a = starts[w] + d - first;
      if (!inside[a]) continue;
      sum += (fe[w] - ae[a]).norm().item<double>();
      ++n;
    }
    s.distances.push_back(n > 0 ? sum / n : std::nan(""));
  }
  std::vector<double> finite;
  for (double v : s.distances)
    if (std::isfinite(v)) finite.push_back(v);
  if (finite.empty()) throw InvalidArgument("sync score: " + video + ": the audio does not cover any face window");
  const auto best = std::min_element(s.distances.begin(), s.distances.end(),
                                     [](double a, double b) { return std::isfinite(a) && (!std::isfinite(b) || a < b); });
  s.offset = static_cast<int>(best - s.distances.begin()) - o.max_offset;
  s.min_distance = *best;
  std::nth_element(finite.begin(), finite.begin() + finite.size() / 2, finite.end());
  const double median = finite[finite.size() / 2];
  s.confidence = median - s.min_distance;
  // NaN when no face window has audio at offset 0 (speech shorter than the face's first window).
  s.confidence_at_zero = median - s.distances[o.max_offset];
  return s;
}

}  // namespace dubkit
