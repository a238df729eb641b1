// 68-point facial landmarks from dlib's shape predictor (an ensemble of regression trees), with
// the model file that Debian's libdlib-data installs.
#pragma once

#include <array>
#include <memory>
#include <string>

#include <opencv2/core.hpp>

namespace dubkit {

// The dlib/iBUG 300-W order (0-based): 0-16 jaw (8 = chin), 17-26 brows, 27-35 nose (30 = tip),
// 36-41 and 42-47 eyes (the subject's right eye first, i.e. the left one in the image),
// 48-59 outer lips, 60-67 inner lips. Pixel coordinates of the frame they were fitted in.
using Landmarks = std::array<cv::Point2f, 68>;

// $DUBKIT_DLIB_LANDMARKS if set, else /usr/share/dlib/shape_predictor_68_face_landmarks.dat.
std::string default_landmark_model_path();

// Immutable once loaded; fit() may be called from several threads at once.
class LandmarkModel {
 public:
  // Throws IoError naming the path (and the Debian package) when the file is missing or
  // unreadable, FormatError when it is not a dlib shape predictor.
  explicit LandmarkModel(const std::string& path = default_landmark_model_path());
  ~LandmarkModel();
  LandmarkModel(LandmarkModel&&) noexcept;
  LandmarkModel& operator=(LandmarkModel&&) noexcept;

  // Landmarks of the face in `face_box` (frame pixels, framed like dlib's HOG detections).
  // `bgr` is CV_8UC3 BGR or CV_8UC1 grey; pixels are read in place, nothing is copied.
  // Always returns a shape: whether a face is really there is the caller's question.
  Landmarks fit(const cv::Mat& bgr, const cv::Rect2f& face_box) const;

  // The box this model would want for a face with landmarks `l`: the least-squares
  // translation + uniform scale of the model's mean shape onto the eyes, nose and upper jaw
  // (points that speech does not move). Lets a tracker follow a face without re-detecting.
  cv::Rect2f box_for(const Landmarks& l) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Brow-to-chin height: from the midpoint of the brows' centres (19, 24) to the chin (8), pixels,
// at least 1. The face's scale for sizes that must follow it (mouth opening, feathering).
double face_height(const Landmarks& l);

// Mean distance between the inner-lip pairs 61-67, 62-66 and 63-65 (pixels): the mouth opening.
double inner_lip_gap(const Landmarks& l);

}  // namespace dubkit
