// Face tracking across the frames of one video: detection every few frames, landmarks every
// frame, stable track ids, and One-Euro smoothing of the landmarks.
//
// Cost per frame: one landmark fit (a few ms) per face. The HOG detector (tens of ms) runs on
// the first frame, every `redetect_every` frames, and on every frame while no face is tracked
// or a track is unconfirmed. Between detections each face's box comes from its previous
// landmarks (LandmarkModel::box_for), and a face counts as still there when the eyes-and-nose
// half of its aligned crop still correlates with how it looked when last detected. A face that
// enters between detections is found at the next one.
#pragma once

#include <vector>

#include <opencv2/core.hpp>

#include "faces/detector.hpp"
#include "faces/landmarks.hpp"

namespace dubkit {

struct TrackedFace {
  int track = -1;       // stable id: 0, 1, 2... in order of first appearance, never reused
  bool valid = false;   // the face was found in this frame; if not, the rest is its last sighting
  cv::Rect2f box;       // frame pixels, LandmarkModel::box_for(landmarks)
  Landmarks landmarks;  // smoothed: use these for alignment and compositing
  Landmarks raw;        // as fitted, unsmoothed
};

struct FaceTrackerOptions {
  int redetect_every = 10;  // frames between detector runs while all tracks are confirmed
  int max_missed = 5;       // a track unconfirmed for more consecutive frames than this is dropped
  // One-Euro filter (Casiez et al. 2012) on each landmark. Its cutoff rises with the point's
  // speed, so a still face is held steady while a fast mouth is not lagged. `smoothing` 0
  // turns it off (landmarks == raw); otherwise the still-face cutoff is 1 Hz / smoothing.
  double smoothing = 1.0;
  double beta = 10.0;   // cutoff increase in Hz per (face box widths per second) of speed
  double fps = 25.0;    // frame rate of the video, for the filter's time constants
  double min_iou = 0.3;         // detection-to-track association threshold
  double min_similarity = 0.5;  // appearance correlation below which a track is unconfirmed
};

// Wall time spent inside update(), split into the detector and everything else (landmark fits,
// appearance checks, smoothing), for per-stage benchmark reports.
struct TrackerTimes {
  double detect_s = 0;
  double landmarks_s = 0;
};

// One tracker per video stream, fed its frames in order; not thread-safe. The detector and
// model are borrowed and must outlive the tracker.
class FaceTracker {
 public:
  // Throws InvalidArgument for non-positive redetect_every or fps, negative max_missed,
  // smoothing or beta.
  FaceTracker(const FaceDetector& detector, const LandmarkModel& model, const FaceTrackerOptions& options = {});

  // The faces tracked after this frame (CV_8UC3 BGR), largest box first; tracks that missed
  // this frame come with valid = false. A frame without faces is not an error.
  std::vector<TrackedFace> update(const cv::Mat& bgr);
  const TrackerTimes& times() const { return times_; }

 private:
  struct Track {
    int id = -1;
    int missed = 0;
    cv::Rect2f fit_box;      // where to fit next: box_for(raw)
    Landmarks raw, smooth;
    Landmarks speed;         // filtered speed of each point, box widths per second
    cv::Mat appearance;      // at the last detection, see appearance() in tracker.cpp
  };

  Landmarks refine(const cv::Mat& bgr, const cv::Rect2f& detected) const;
  void confirm(Track& t, const Landmarks& raw) const;

  const FaceDetector* detector_;
  const LandmarkModel* model_;
  FaceTrackerOptions options_;
  std::vector<Track> tracks_;
  int next_id_ = 0;
  int since_detection_ = 0;
  TrackerTimes times_;
};

}  // namespace dubkit
