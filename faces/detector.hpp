// Face detection: dlib's HOG frontal face detector on a downscaled grey copy of the frame,
// with OpenCV's Haar cascade as a fallback when HOG finds nothing.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace dubkit {

struct FaceBox {
  cv::Rect2f rect;   // full-frame pixels
  double score = 0;  // HOG detection confidence (> 0); 0 for a box found by the cascade
};

struct FaceDetectorOptions {
  // Frames are downscaled so their longest side is at most this before detection: HOG costs
  // in proportion to the pixels. HOG's window is 80 px, so the smallest face HOG finds is
  // 80 * longest side / max_side pixels (213 px on 1280x720 at 480); the cascade goes to 40.
  int max_side = 480;
  bool cascade_fallback = true;
  std::string cascade_path = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml";
};

// detect() may be called from several threads; calls on one detector take turns (the dlib
// and OpenCV detectors keep scratch state).
class FaceDetector {
 public:
  // Throws InvalidArgument for max_side < 80, IoError naming the cascade file (and Debian's
  // opencv-data) when the fallback is on and the file cannot be loaded.
  explicit FaceDetector(const FaceDetectorOptions& options = {});
  ~FaceDetector();
  FaceDetector(FaceDetector&&) noexcept;
  FaceDetector& operator=(FaceDetector&&) noexcept;

  // Faces in a CV_8UC3 BGR (or CV_8UC1 grey) frame, largest first; empty when there are none.
  // HOG boxes are square and frame the face the way LandmarkModel expects; cascade boxes
  // frame it more loosely (a tracker re-derives the box from the first landmarks).
  std::vector<FaceBox> detect(const cv::Mat& bgr) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dubkit
