#include "faces/detector.hpp"

#include <algorithm>
#include <fstream>
#include <mutex>

#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/opencv/cv_image.h>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include "core/error.hpp"

namespace dubkit {

struct FaceDetector::Impl {
  FaceDetectorOptions options;
  std::mutex mutex;  // guards the two detectors below
  dlib::frontal_face_detector hog = dlib::get_frontal_face_detector();
  cv::CascadeClassifier cascade;
};

FaceDetector::FaceDetector(const FaceDetectorOptions& options) : impl_(std::make_unique<Impl>()) {
  if (options.max_side < 80)
    throw InvalidArgument("face detector max_side must be at least 80 (the HOG window), got " +
                          std::to_string(options.max_side));
  impl_->options = options;
  // Checked first: OpenCV would log its own complaint about a missing file.
  if (options.cascade_fallback && (!std::ifstream(options.cascade_path) || !impl_->cascade.load(options.cascade_path)))
    throw IoError("cannot load the face cascade " + options.cascade_path +
                  " (install the Debian package opencv-data, or turn cascade_fallback off)");
}

FaceDetector::~FaceDetector() = default;
FaceDetector::FaceDetector(FaceDetector&&) noexcept = default;
FaceDetector& FaceDetector::operator=(FaceDetector&&) noexcept = default;

std::vector<FaceBox> FaceDetector::detect(const cv::Mat& bgr) const {
  if (bgr.empty() || (bgr.type() != CV_8UC3 && bgr.type() != CV_8UC1))
    throw InvalidArgument("face detection needs a non-empty 8-bit BGR or grey frame");
  cv::Mat grey;
  if (bgr.channels() == 3)
    cv::cvtColor(bgr, grey, cv::COLOR_BGR2GRAY);
  else
    grey = bgr;
  const double scale = std::min(1.0, double(impl_->options.max_side) / std::max(bgr.cols, bgr.rows));
  if (scale < 1) cv::resize(grey, grey, cv::Size(), scale, scale, cv::INTER_AREA);

  std::vector<FaceBox> faces;
  std::lock_guard<std::mutex> lock(impl_->mutex);
  std::vector<dlib::rect_detection> found;
  impl_->hog(dlib::cv_image<unsigned char>(grey), found);
  for (const auto& d : found) {
    const dlib::rectangle& r = d.rect;
    faces.push_back({cv::Rect2f(r.left() / scale, r.top() / scale, r.width() / scale, r.height() / scale),
                     d.detection_confidence});
  }
  if (faces.empty() && impl_->options.cascade_fallback) {
    cv::Mat equalized;  // never in place: `grey` may be the caller's frame
    cv::equalizeHist(grey, equalized);
    std::vector<cv::Rect> boxes;
    impl_->cascade.detectMultiScale(equalized, boxes, 1.1, 5, 0, cv::Size(40, 40));
    for (const cv::Rect& r : boxes)
      faces.push_back({cv::Rect2f(r.x / scale, r.y / scale, r.width / scale, r.height / scale), 0.0});
  }
  std::sort(faces.begin(), faces.end(), [](const FaceBox& a, const FaceBox& b) { return a.rect.area() > b.rect.area(); });
  return faces;
}

}  // namespace dubkit
