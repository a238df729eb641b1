#include "lipsync/lipsync_video.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>

#include <opencv2/imgcodecs.hpp>

#include "audio/io.hpp"
#include "audio/mel_preset.hpp"
#include "audio/resample.hpp"
#include "core/error.hpp"
#include "faces/tracker.hpp"
#include "lipsync/conv_block.hpp"
#include "lipsync/inputs.hpp"
#include "lipsync/model_files.hpp"
#include "video/video_reader.hpp"

namespace fs = std::filesystem;

namespace dubkit {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// The input's frames, then, when the speech outlasts them, the same frames backward and
// forward in turn. Frames are spilled to `spill_dir` (lossless PNG) on the first pass only
// when the container says the speech is longer by at least half a frame (or states no
// duration); when it understated the video's length, the last frame is held as a still.
class FrameSource {
 public:
  FrameSource(const std::string& path, double needed_seconds, std::string spill_dir)
      : reader_(path), spill_dir_(std::move(spill_dir)) {
    const VideoInfo& i = reader_.info();
    spill_ = i.duration <= 0 || needed_seconds > i.duration + 0.5 / std::max(1.0, i.fps);
    if (spill_) fs::create_directories(spill_dir_);
  }
  const VideoInfo& info() const { return reader_.info(); }
  long decoded() const { return static_cast<long>(durations_.size()); }
  // The input has been played once: further frames are the extension.
  bool extending() const { return forward_done_; }

  // The next frame to show and how long it shows. Returns false once when the input's frames
  // are used up; calls after that return the extension's frames (false for a video without
  // frames).
  bool next(cv::Mat& bgr, double& duration) {
    if (!forward_done_) {
      VideoFrame f;
      if (reader_.read(f)) {
        bgr = f.bgr;
        last_ = f.bgr;  // shares the pixels: a held still is the last frame as output (mouth re-rendered)
        duration = f.duration;
        durations_.push_back(f.duration);
        if (spill_ && !cv::imwrite(spill_path(decoded() - 1), bgr, {cv::IMWRITE_PNG_COMPRESSION, 1}))
          throw IoError(spill_dir_ + ": cannot write a frame for the ping-pong extension");
        return true;
      }
      forward_done_ = true;
      position_ = decoded() - 1;
      return false;
    }
    if (decoded() == 0) return false;
    if (!spill_) {
      bgr = last_;
      duration = durations_.back();
      return true;
    }
    if (decoded() == 1) {
      position_ = 0;  // a still: held
    } else {
      if (position_ + step_ < 0 || position_ + step_ >= decoded()) step_ = -step_;
      position_ += step_;
    }
    bgr = cv::imread(spill_path(position_), cv::IMREAD_COLOR);
    if (bgr.empty()) throw IoError(spill_path(position_) + ": cannot read back a spilled frame");
    duration = durations_[position_];
    return true;
  }

 private:
  std::string spill_path(long i) const { return spill_dir_ + "/" + std::to_string(i) + ".png"; }
  VideoReader reader_;
  std::string spill_dir_;
  bool spill_ = false, forward_done_ = false;
  cv::Mat last_;
  std::vector<double> durations_;
  long position_ = 0, step_ = -1;
};

struct Pending {
  cv::Mat frame;
  double pts = 0, duration = 0;
  bool face = false;
  FaceAlignment alignment;
  Landmarks landmarks;
  cv::Mat crop;
};

}  // namespace

void LipSyncVideoOptions::validate() const {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw InvalidArgument("lipsync: " + what);
  };
  need(!video.empty(), "--video is required");
  need(!audio.empty(), "--audio is required");
  need(!output.empty(), "-o is required");
  need(!model.empty(), "--model is required");
  need(face >= -1, "--face must be a track id (0, 1, ...) or -1 for the largest face");
  need(batch >= 1 && batch <= 256, "--batch must be in 1..256");
  need(threads >= 1 && threads <= 64, "--threads must be in [1, 64]");
}

LipSyncVideoReport lipsync_video(const LipSyncVideoOptions& o, const std::function<void(long, long)>& progress) {
  o.validate();
  const auto t_start = Clock::now();
  torch::set_num_threads(o.threads);
  torch::InferenceMode inference;  // no autograd bookkeeping at all (faster than NoGradGuard)
  Wav2Lip generator = load_lipsync_generator(o.model);
  fold_batch_norms(*generator);
  const int size = generator->config().face_size;

  const Waveform speech = read_mono(o.audio);
  if (speech.samples.empty()) throw InvalidArgument("lipsync: " + o.audio + " has no samples");
  const FeatureMatrix mel = MelAnalyzer(mel_preset(generator->config().mel_preset)).compute(resample(speech, 16000));
  if (mel.cols < kMelWindow)
    throw InvalidArgument("lipsync: " + o.audio + " is shorter than one mel window (0.2 s)");

  LipSyncVideoReport rep;
  rep.audio_seconds = speech.seconds();
  const std::string spill = o.output + ".frames.tmp";
  struct SpillCleanup {
    std::string dir;
    ~SpillCleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{spill};
  FrameSource source(o.video, rep.audio_seconds, spill);
  const VideoInfo& info = source.info();
  rep.width = info.width;
  rep.height = info.height;
  rep.video_seconds = info.duration;

  VideoWriterOptions enc = o.encode;
  enc.time_base_num = info.time_base_num;
  enc.time_base_den = info.time_base_den;
  std::map<std::string, std::string> metadata = info.metadata;
  for (const auto& [k, v] : o.encode.metadata) metadata[k] = v;
  enc.metadata = metadata;
  VideoWriter writer(o.output, info.width, info.height, speech, enc, {o.video, o.audio});

  const FaceDetector detector;
  const LandmarkModel landmark_model;
  FaceTrackerOptions to;
  if (info.fps > 0) to.fps = info.fps;
  FaceTracker tracker(detector, landmark_model, to);
  std::map<int, FaceTrackSummary> tracks;
  int target = o.face;

  std::vector<Pending> batch;
  auto flush = [&] {
    std::vector<cv::Mat> crops;
    std::vector<double> times;
    for (const Pending& p : batch)
      if (p.face) {
        crops.push_back(p.crop);
        times.push_back(p.pts);
      }
    if (!crops.empty()) {
      auto t0 = Clock::now();
      const torch::Tensor faces = crops_to_tensor(crops);
      const torch::Tensor out = generator->forward(mel_windows(mel, times), generator_input(faces, faces));
      rep.network_s += since(t0);
      t0 = Clock::now();
      long k = 0;
      for (Pending& p : batch)
        if (p.face && cv::countNonZero(composite_face(p.frame, tensor_to_crop(out[k++]), p.alignment, p.landmarks, o.composite)) > 0)
          ++rep.frames_changed;
      rep.composite_s += since(t0);
    }
    const auto t0 = Clock::now();
    for (const Pending& p : batch) writer.write(p.frame, p.pts, p.duration);
    rep.encode_s += since(t0);
    batch.clear();
  };

  // The whole input plays once; the extension only lasts until the speech ends.
  const long expected_frames = static_cast<long>(std::ceil(std::max(rep.audio_seconds, info.duration) * std::max(1.0, info.fps)));
  double pts = 0;
  long index = 0;
  while (true) {
    if (source.extending() && pts >= rep.audio_seconds - 1e-9) break;
    Pending p;
    auto t0 = Clock::now();
    if (!source.next(p.frame, p.duration)) {
      // The input is used up: extend it only while the speech lasts.
      if (pts >= rep.audio_seconds - 1e-9 || !source.next(p.frame, p.duration)) break;
    }
    rep.decode_s += since(t0);
    p.pts = pts;
    if (pts < rep.audio_seconds) {
      const auto faces = tracker.update(p.frame);
      if (target < 0) {
        for (const TrackedFace& f : faces)
          if (f.valid) {
            target = f.track;  // largest first
            break;
          }
      }
      for (const TrackedFace& f : faces) {
        if (!f.valid) continue;
        FaceTrackSummary& s = tracks[f.track];
        if (s.frames == 0) s.first_frame = index, s.track = f.track;
        s.last_frame = index;
        s.mean_size += (0.5 * (f.box.width + f.box.height) - s.mean_size) / static_cast<double>(++s.frames);
        if (f.track == target) {
          p.face = true;
          p.landmarks = f.landmarks;
          p.alignment = align_face(f.landmarks, size);
          p.crop = warp_to_crop(p.frame, p.alignment);
        }
      }
    }
    const double shown = p.duration > 0 ? p.duration : 1.0 / std::max(1.0, info.fps);
    batch.push_back(std::move(p));
    if (static_cast<int>(batch.size()) >= o.batch) flush();
    pts += shown;
    ++index;
    if (progress) progress(index, std::max(index, expected_frames));
  }
  if (index == 0) throw FormatError(o.video + ": no frame decoded");  // the writer drops its partial file
  flush();
  const auto t0 = Clock::now();
  writer.finish();
  rep.encode_s += since(t0);
  rep.detect_s = tracker.times().detect_s;
  rep.landmarks_s = tracker.times().landmarks_s;
  rep.frames_in = source.decoded();
  rep.frames_out = index;
  rep.output_seconds = pts;
  rep.face_track = target;
  for (const auto& [id, s] : tracks) rep.tracks.push_back(s);
  rep.total_s = since(t_start);
  return rep;
}

}  // namespace dubkit
