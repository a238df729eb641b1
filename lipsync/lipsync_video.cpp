#include "lipsync/lipsync_video.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <future>
#include <map>
#include <optional>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "audio/io.hpp"
#include "audio/mel_preset.hpp"
#include "audio/resample.hpp"
#include "audio/vad.hpp"
#include "core/error.hpp"
#include "core/worker_stage.hpp"
#include "faces/landmarks.hpp"
#include "faces/tracker.hpp"
#include "lipsync/conv_block.hpp"
#include "lipsync/inputs.hpp"
#include "lipsync/model_files.hpp"
#include "video/video_reader.hpp"

namespace fs = std::filesystem;

namespace dubkit {
namespace {

// A disclosure label: white text on a dark box, bottom left, sized to the frame height so it
// stays legible after scaling.
void draw_label(cv::Mat& frame, const std::string& text) {
  const double scale = std::max(0.35, frame.rows / 900.0);
  const int thickness = std::max(1, static_cast<int>(std::lround(scale * 1.5)));
  int baseline = 0;
  const cv::Size size = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, scale, thickness, &baseline);
  const int pad = std::max(2, size.height / 3);
  const cv::Point origin(pad * 2, frame.rows - pad * 2 - baseline);
  cv::rectangle(frame, cv::Rect(origin.x - pad, origin.y - size.height - pad, size.width + 2 * pad, size.height + baseline + 2 * pad),
                cv::Scalar(20, 20, 20), cv::FILLED);
  cv::putText(frame, text, origin, cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(255, 255, 255), thickness, cv::LINE_AA);
}


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
      // A copy each time: each is composited and encoded on its own.
      bgr = last_.clone();
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
  bool face = false;     // re-rendered
  bool tracked = false;  // the chosen face is tracked (landmarks set)
  FaceAlignment alignment;
  Landmarks landmarks;
  cv::Mat crop;       // the aligned input crop, then the generated one
  cv::Mat reference;  // the generator's reference crop (ReferenceMouth)
  // Silence gate: weight of the reference's mouth over the generated one; when above 0, the
  // reference at the face's own resolution and the frame's alignment for it.
  double silence = 0;
  cv::Mat sharp_reference;
  FaceAlignment sharp_alignment;
};

// 0 while the new speech is voiced, rising to 1 over `fade` seconds into a pause of at least
// 200 ms (shorter pauses are bridged by the VAD).
class SilenceGate {
 public:
  SilenceGate(const Waveform& speech, double fade) : fade_(fade), rate_(speech.rate) {
    VadOptions v;
    v.bridge_ms = 200;
    voiced_ = detect_speech(speech, v).segments;
  }
  double weight(double t) const {
    // The segments are sorted and disjoint: only the one starting last before t and the next count.
    const auto sample = static_cast<std::size_t>(std::max(0.0, t * rate_));
    auto next = std::upper_bound(voiced_.begin(), voiced_.end(), sample,
                                 [](std::size_t s, const auto& seg) { return s < seg.first; });
    double distance = 1e9;
    if (next != voiced_.end()) distance = double(next->first) / rate_ - t;
    if (next != voiced_.begin()) distance = std::min(distance, std::max(0.0, t - double(std::prev(next)->second) / rate_));
    return fade_ > 0 ? std::clamp(distance / fade_, 0.0, 1.0) : (distance > 0 ? 1.0 : 0.0);
  }

 private:
  double fade_;
  int rate_;
  std::vector<std::pair<std::size_t, std::size_t>> voiced_;
};

// The generator's reference: the crop with the most closed mouth seen so far, not the frame
// itself as in the public inference (the frame's own mouth, moving with the old speech, would
// leak into the new one: lips moving in silence; training draws the reference from another
// frame of the clip, so this matches it better too). For the silence gate it is also kept at
// the face's own resolution in the frame, where a 96-pixel crop scaled back up would blur a
// closed mouth into a slightly open one.
class ReferenceMouth {
 public:
  explicit ReferenceMouth(int size) : size_(size) {}
  // Sets p.reference, and for a frame the gate touches (p.silence > 0) the sharp reference
  // with p's alignment at that resolution. Call before p.frame is composited.
  void update(Pending& p, const Landmarks& raw) {
    const double gap = inner_lip_gap(raw) / face_height(raw);
    const bool closer = reference_.empty() || gap < gap_;
    if (closer) reference_ = p.crop, gap_ = gap;
    p.reference = reference_;
    if (!closer && p.silence <= 0) return;
    if (sharp_size_ == 0) {  // fixed at the first face
      const cv::Matx23d& m = p.alignment.to_frame;
      const double scale = std::sqrt(std::abs(m(0, 0) * m(1, 1) - m(0, 1) * m(1, 0)));
      sharp_size_ = std::clamp(static_cast<int>(std::lround(size_ * scale)), size_, 1024);
    }
    const FaceAlignment sharp = align_face(p.landmarks, sharp_size_);
    if (closer) sharp_reference_ = warp_to_crop(p.frame, sharp);
    if (p.silence > 0) p.sharp_reference = sharp_reference_, p.sharp_alignment = sharp;
  }

 private:
  const int size_;
  int sharp_size_ = 0;
  cv::Mat reference_, sharp_reference_;
  double gap_ = 0;
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
  need(silence_fade >= 0 && silence_fade <= 1, "--silence-fade must be in [0, 1] seconds");
  for (const auto& [a, b] : spans) need(std::isfinite(a) && std::isfinite(b) && a < b, "spans must be finite with start < end");
}

LipSyncVideoReport lipsync_video(const LipSyncVideoOptions& o, const std::function<void(long, long)>& progress) {
  o.validate();
  const auto t_start = Clock::now();
  // dlib's face models take a second or two to deserialise: load them while the rest starts up.
  auto detector_loaded = std::async(std::launch::async, [] { return FaceDetector(); });
  auto landmarks_loaded = std::async(std::launch::async, [] { return LandmarkModel(); });
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
  const std::vector<std::string> inputs = {o.video, o.audio, o.mux_audio.empty() ? o.audio : o.mux_audio};
  VideoWriter writer(o.output, info.width, info.height, o.mux_audio.empty() ? speech : read_mono(o.mux_audio), enc, inputs);
  auto in_spans = [&](double t) {
    if (o.spans.empty()) return true;
    for (const auto& [a, b] : o.spans)
      if (t >= a && t < b) return true;
    return false;
  };

  // Three threads overlap: this one decodes and tracks, the generator runs on batches on the
  // next, compositing and encoding on the third (so one LibTorch thread serves 2 cores best).
  // Each queue holds one batch. Stage times are each thread's own; they overlap.
  double composite_s = 0, encode_s = 0;
  long frames_changed = 0, frames_written = 0, first_changed = -1, last_changed = -1;
  cv::Rect changed_box;
  WorkerStage<Pending> encoder(
      [&](Pending& p) {
        auto t0 = Clock::now();
        if (p.face && p.silence > 0) {
          cv::resize(p.crop, p.crop, p.sharp_reference.size(), 0, 0, cv::INTER_LINEAR);
          cv::addWeighted(p.sharp_reference, p.silence, p.crop, 1 - p.silence, 0, p.crop);
          p.alignment = p.sharp_alignment;
        }
        if (p.face) {
          const cv::Mat mask = composite_face(p.frame, p.crop, p.alignment, p.landmarks, o.composite);
          if (cv::countNonZero(mask) > 0) {
            ++frames_changed;
            changed_box |= cv::boundingRect(mask);
            if (first_changed < 0) first_changed = frames_written;
            last_changed = frames_written;
          }
        }
        ++frames_written;
        if (o.on_frame) o.on_frame(p.frame, p.tracked ? &p.landmarks : nullptr, p.pts);
        if (!o.label.empty()) draw_label(p.frame, o.label);
        composite_s += since(t0);
        t0 = Clock::now();
        writer.write(p.frame, p.pts, p.duration);
        encode_s += since(t0);
      },
      static_cast<std::size_t>(o.batch));
  double network_s = 0;
  WorkerStage<std::vector<Pending>> network(
      [&](std::vector<Pending>& batch) {
        std::vector<cv::Mat> crops, references;
        std::vector<double> times;
        for (const Pending& p : batch)
          if (p.face) {
            crops.push_back(p.crop);
            references.push_back(p.reference);
            times.push_back(p.pts);
          }
        if (!crops.empty()) {
          torch::InferenceMode inference;  // per thread
          const auto t0 = Clock::now();
          const torch::Tensor out = generator->forward(mel_windows(mel, times),
                                                       generator_input(crops_to_tensor(crops), crops_to_tensor(references)));
          long k = 0;
          for (Pending& p : batch)
            if (p.face) p.crop = tensor_to_crop(out[k++]);
          network_s += since(t0);
        }
        for (Pending& p : batch) encoder.push(std::move(p));
      },
      1);

  const FaceDetector detector = detector_loaded.get();
  const LandmarkModel landmark_model = landmarks_loaded.get();
  FaceTrackerOptions to;
  if (info.fps > 0) to.fps = info.fps;
  FaceTracker tracker(detector, landmark_model, to);
  std::map<int, FaceTrackSummary> tracks;
  int target = o.face;
  ReferenceMouth reference(size);
  std::optional<SilenceGate> gate;
  if (o.silence_gate) gate.emplace(speech, o.silence_fade);

  std::vector<Pending> batch;
  auto flush = [&] {
    if (!batch.empty()) network.push(std::move(batch));
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
      // The input is used up: extend it only while the speech lasts. A held still is copied
      // from the last frame, which the encoder must be done with.
      if (pts >= rep.audio_seconds - 1e-9) break;
      flush();
      network.drain();
      encoder.drain();
      if (!source.next(p.frame, p.duration)) break;
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
          p.tracked = true;
          p.landmarks = f.landmarks;
        }
        if (f.track == target && in_spans(pts)) {
          p.face = true;
          p.alignment = align_face(f.landmarks, size);
          p.crop = warp_to_crop(p.frame, p.alignment);
          if (gate) p.silence = gate->weight(pts);
          reference.update(p, f.raw);
          rep.frames_silenced += p.silence >= 1;
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
  network.finish();
  encoder.finish();
  const auto t0 = Clock::now();
  writer.finish();
  rep.network_s = network_s;
  rep.composite_s = composite_s;
  rep.encode_s = encode_s + since(t0);
  rep.frames_changed = frames_changed;
  rep.first_changed = first_changed;
  rep.last_changed = last_changed;
  rep.changed_box = changed_box;
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
