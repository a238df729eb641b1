#include "faces/landmarks.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>

#include <dlib/image_processing/shape_predictor.h>
#include <dlib/opencv/cv_image.h>

#include "core/error.hpp"

namespace dubkit {

namespace {

// Points whose place relative to the head does not change with speech or expression.
constexpr int kRigidPoints[] = {0,  16, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36,
                                37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47};

dlib::rectangle to_dlib(const cv::Rect2f& r) {
  // dlib rectangles include their right and bottom pixel.
  return dlib::rectangle(std::lround(r.x), std::lround(r.y), std::lround(r.x + r.width) - 1,
                         std::lround(r.y + r.height) - 1);
}

}  // namespace

struct LandmarkModel::Impl {
  dlib::shape_predictor predictor;
  Landmarks mean_shape;  // in units of the detection box: (0,0) its top-left, (1,1) bottom-right
};

std::string default_landmark_model_path() {
  const char* env = std::getenv("DUBKIT_DLIB_LANDMARKS");
  return env && *env ? env : "/usr/share/dlib/shape_predictor_68_face_landmarks.dat";
}

LandmarkModel::LandmarkModel(const std::string& path) : impl_(std::make_unique<Impl>()) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw IoError("cannot open the dlib landmark model " + path +
                  " (install the Debian package libdlib-data, or set DUBKIT_DLIB_LANDMARKS)");
  try {
    // The file starts with a version number and the mean shape, which dlib keeps private;
    // read them first, then the whole predictor from the start.
    int version = 0;
    dlib::matrix<float, 0, 1> mean;
    dlib::deserialize(version, in);
    dlib::deserialize(mean, in);
    if (mean.size() != 2 * 68)
      throw FormatError(path + " is a shape predictor for " + std::to_string(mean.size() / 2) +
                        " points, not the 68-point model");
    for (int i = 0; i < 68; ++i) impl_->mean_shape[i] = {mean(2 * i), mean(2 * i + 1)};
    in.seekg(0);
    dlib::deserialize(impl_->predictor, in);
  } catch (const dlib::serialization_error& e) {
    throw FormatError(path + " is not a dlib shape predictor: " + e.what());
  }
}

LandmarkModel::~LandmarkModel() = default;
LandmarkModel::LandmarkModel(LandmarkModel&&) noexcept = default;
LandmarkModel& LandmarkModel::operator=(LandmarkModel&&) noexcept = default;

Landmarks LandmarkModel::fit(const cv::Mat& bgr, const cv::Rect2f& face_box) const {
  dlib::full_object_detection shape;
  if (bgr.empty())
    throw InvalidArgument("landmarks asked of an empty image");
  if (bgr.type() == CV_8UC3)
    shape = impl_->predictor(dlib::cv_image<dlib::bgr_pixel>(bgr), to_dlib(face_box));
  else if (bgr.type() == CV_8UC1)
    shape = impl_->predictor(dlib::cv_image<unsigned char>(bgr), to_dlib(face_box));
  else
    throw InvalidArgument("landmarks need an 8-bit BGR or grey image, got OpenCV type " +
                          std::to_string(bgr.type()));
  Landmarks out;
  for (int i = 0; i < 68; ++i)
    out[i] = cv::Point2f(static_cast<float>(shape.part(i).x()), static_cast<float>(shape.part(i).y()));
  return out;
}

cv::Rect2f LandmarkModel::box_for(const Landmarks& l) const {
  // Minimise sum |origin + side * mean_i - l_i|^2 over origin (2-vector) and side (scalar).
  const Landmarks& m = impl_->mean_shape;
  cv::Point2d mean_m, mean_l;
  for (int i : kRigidPoints) {
    mean_m += cv::Point2d(m[i]);
    mean_l += cv::Point2d(l[i]);
  }
  const double n = std::size(kRigidPoints);
  mean_m /= n;
  mean_l /= n;
  double num = 0, den = 0;
  for (int i : kRigidPoints) {
    const cv::Point2d dm = cv::Point2d(m[i]) - mean_m, dl = cv::Point2d(l[i]) - mean_l;
    num += dm.dot(dl);
    den += dm.dot(dm);
  }
  const double side = num / den;
  const cv::Point2d origin = mean_l - side * mean_m;
  // +1: the predictor maps (1,1) onto the rectangle's last pixel, see to_dlib.
  return cv::Rect2f(static_cast<float>(origin.x), static_cast<float>(origin.y),
                    static_cast<float>(side + 1), static_cast<float>(side + 1));
}

double inner_lip_gap(const Landmarks& l) {
  return (cv::norm(l[61] - l[67]) + cv::norm(l[62] - l[66]) + cv::norm(l[63] - l[65])) / 3.0;
}

double face_height(const Landmarks& l) {
  const cv::Point2f brow = (l[19] + l[24]) * 0.5f;
  return std::max(1.0, cv::norm(l[8] - brow));
}

}  // namespace dubkit
