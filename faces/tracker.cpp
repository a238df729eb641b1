#include "faces/tracker.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <tuple>

#include <opencv2/imgproc.hpp>

#include "core/error.hpp"
#include "faces/alignment.hpp"

namespace dubkit {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kDerivativeCutoffHz = 3.0;  // above the customary 1 Hz: the mouth must not wait for it
constexpr int kDuplicate = -2;

// The eyes-and-nose half of a 16 px aligned grey crop, zero mean and unit norm, so that the dot
// product of two is their normalised correlation. Empty for a featureless patch. The lower
// half is left out because speech changes it.
cv::Mat appearance(const cv::Mat& bgr, const Landmarks& l) {
  const cv::Mat crop = warp_to_crop(bgr, align_face(l, 16));
  cv::Mat grey, patch;
  cv::cvtColor(crop.rowRange(0, 8), grey, cv::COLOR_BGR2GRAY);
  grey.convertTo(patch, CV_64F);
  patch -= cv::mean(patch)[0];
  const double norm = cv::norm(patch);
  if (norm < 1e-6 * patch.total() * 255) return {};
  return patch / norm;
}

double similarity(const cv::Mat& a, const cv::Mat& b) { return a.empty() || b.empty() ? 0.0 : a.dot(b); }

float iou(const cv::Rect2f& a, const cv::Rect2f& b) {
  const float overlap = (a & b).area();
  return overlap > 0 ? overlap / (a.area() + b.area() - overlap) : 0.0f;
}

// Weight of the new sample in an exponential smoother of cutoff `hz` sampled every `dt` s.
double alpha(double hz, double dt) { return 1.0 / (1.0 + 1.0 / (2 * kPi * hz * dt)); }

}  // namespace

FaceTracker::FaceTracker(const FaceDetector& detector, const LandmarkModel& model, const FaceTrackerOptions& options)
    : detector_(&detector), model_(&model), options_(options) {
  if (options.redetect_every < 1 || !(options.fps > 0) || options.max_missed < 0 || !(options.smoothing >= 0) ||
      !(options.beta >= 0))
    throw InvalidArgument("face tracker options: redetect_every and fps must be positive, max_missed, "
                          "smoothing and beta not negative");
}

// A detector box frames the face its own way (the cascade's differs from HOG's); fitting once
// more in the box the landmarks imply makes every track's landmarks come from the same framing.
Landmarks FaceTracker::refine(const cv::Mat& bgr, const cv::Rect2f& detected) const {
  return model_->fit(bgr, model_->box_for(model_->fit(bgr, detected)));
}

void FaceTracker::confirm(Track& t, const Landmarks& raw) const {
  const bool first_sighting = t.id < 0;  // ids are given after the first confirm
  const cv::Rect2f box = model_->box_for(raw);
  const double dt = (t.missed + 1) / options_.fps;
  const double width = std::max(1.0f, box.width);
  for (int i = 0; i < 68; ++i) {
    if (options_.smoothing == 0 || first_sighting) {
      t.smooth[i] = raw[i];
      continue;
    }
    const cv::Point2f velocity = (raw[i] - t.smooth[i]) * static_cast<float>(1 / (dt * width));
    t.speed[i] += (velocity - t.speed[i]) * static_cast<float>(alpha(kDerivativeCutoffHz, dt));
    const double cutoff = 1.0 / options_.smoothing + options_.beta * cv::norm(t.speed[i]);
    t.smooth[i] += (raw[i] - t.smooth[i]) * static_cast<float>(alpha(cutoff, dt));
  }
  t.raw = raw;
  t.fit_box = box;
  t.missed = 0;
}

std::vector<TrackedFace> FaceTracker::update(const cv::Mat& bgr) {
  const auto started = std::chrono::steady_clock::now();
  double detect_s = 0;
  if (bgr.empty() || bgr.type() != CV_8UC3) throw InvalidArgument("face tracking needs non-empty 8-bit BGR frames");
  const bool any_missed = std::any_of(tracks_.begin(), tracks_.end(), [](const Track& t) { return t.missed > 0; });
  const bool detect = tracks_.empty() || any_missed || ++since_detection_ >= options_.redetect_every;

  // Detections, each refitted in its own landmarks' box, matched greedily by IoU.
  std::vector<Landmarks> found;
  std::vector<int> owner;  // track index per detection, -1 for a new face, or kDuplicate
  std::vector<bool> matched(tracks_.size(), false);
  if (detect) {
    since_detection_ = 0;
    const auto detect_start = std::chrono::steady_clock::now();
    const std::vector<FaceBox> boxes = detector_->detect(bgr);
    detect_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - detect_start).count();
    for (const FaceBox& f : boxes) found.push_back(refine(bgr, f.rect));
    std::vector<std::tuple<float, int, int>> pairs;  // (iou, detection, track)
    for (int d = 0; d < static_cast<int>(found.size()); ++d)
      for (int t = 0; t < static_cast<int>(tracks_.size()); ++t) {
        const float overlap = iou(model_->box_for(found[d]), tracks_[t].fit_box);
        if (overlap >= options_.min_iou) pairs.emplace_back(overlap, d, t);
      }
    std::sort(pairs.begin(), pairs.end(), std::greater<>());
    owner.assign(found.size(), -1);
    for (const auto& [overlap, d, t] : pairs)
      if (owner[d] < 0 && !matched[t]) {
        owner[d] = t;
        matched[t] = true;
      }
    // A second detection of an already matched face is not a new face.
    for (const auto& [overlap, d, t] : pairs)
      if (owner[d] < 0) owner[d] = kDuplicate;
  }

  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    Track& t = tracks_[i];
    if (matched[i]) continue;
    const Landmarks raw = model_->fit(bgr, t.fit_box);
    if (similarity(appearance(bgr, raw), t.appearance) >= options_.min_similarity)
      confirm(t, raw);
    else
      ++t.missed;
  }
  for (std::size_t d = 0; d < found.size(); ++d) {
    if (owner[d] == kDuplicate) continue;
    if (owner[d] < 0) {
      owner[d] = static_cast<int>(tracks_.size());
      tracks_.emplace_back();
    }
    Track& t = tracks_[owner[d]];
    confirm(t, found[d]);
    if (t.id < 0) t.id = next_id_++;
    t.appearance = appearance(bgr, found[d]);
  }
  tracks_.erase(std::remove_if(tracks_.begin(), tracks_.end(),
                               [&](const Track& t) { return t.missed > options_.max_missed; }),
                tracks_.end());

  std::vector<TrackedFace> out;
  for (const Track& t : tracks_) out.push_back({t.id, t.missed == 0, model_->box_for(t.smooth), t.smooth, t.raw});
  std::stable_sort(out.begin(), out.end(),
                   [](const TrackedFace& a, const TrackedFace& b) { return a.box.area() > b.box.area(); });
  times_.detect_s += detect_s;
  times_.landmarks_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() - detect_s;
  return out;
}

}  // namespace dubkit
