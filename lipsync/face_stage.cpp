#include "lipsync/face_stage.hpp"

namespace dubkit {
namespace {

FaceTrackerOptions tracker_options(double fps) {
  FaceTrackerOptions o;
  if (fps > 0) o.fps = fps;
  return o;
}

}  // namespace

FaceStage::FaceStage(FaceDetector detector, LandmarkModel landmarks, const FaceStageOptions& options, const SilenceGate* gate)
    : detector_(std::move(detector)),
      landmarks_(std::move(landmarks)),
      tracker_(detector_, landmarks_, tracker_options(options.fps)),
      options_(options),
      gate_(gate),
      reference_(options.crop_size),
      target_(options.face) {}

bool FaceStage::in_spans(double t) const {
  if (options_.spans.empty()) return true;
  for (const auto& [a, b] : options_.spans)
    if (t >= a && t < b) return true;
  return false;
}

void FaceStage::operator()(PendingFrame& p, long index) {
  const auto faces = tracker_.update(p.frame);
  if (target_ < 0) {
    for (const TrackedFace& f : faces)
      if (f.valid) {
        target_ = f.track;  // largest first
        break;
      }
  }
  for (const TrackedFace& f : faces) {
    if (!f.valid) continue;
    FaceTrackSummary& s = tracks_[f.track];
    if (s.frames == 0) s.first_frame = index, s.track = f.track;
    s.last_frame = index;
    s.mean_size += (0.5 * (f.box.width + f.box.height) - s.mean_size) / static_cast<double>(++s.frames);
    if (f.track != target_) continue;
    p.tracked = true;
    p.landmarks = f.landmarks;
    if (!in_spans(p.pts)) continue;
    p.face = true;
    p.alignment = align_face(f.landmarks, options_.crop_size);
    p.crop = warp_to_crop(p.frame, p.alignment);
    if (gate_) p.silence = gate_->weight(p.pts);
    reference_.update(p, f.raw);
    frames_silenced_ += p.silence >= 1;
  }
}

std::vector<FaceTrackSummary> FaceStage::tracks() const {
  std::vector<FaceTrackSummary> out;
  for (const auto& [id, s] : tracks_) out.push_back(s);
  return out;
}

}  // namespace dubkit
