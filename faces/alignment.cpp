#include "faces/alignment.hpp"

#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "core/error.hpp"

namespace dubkit {

namespace {

constexpr int kFirstRigid = 27;  // the template covers points 27-47: nose and both eyes
constexpr int kRigidCount = 21;

// dlib's mean shape for points 27-47, in units of its detection box (read from
// shape_predictor_68_face_landmarks.dat, rounded to 4 digits).
constexpr double kMeanShape[kRigidCount][2] = {
    {0.5000, 0.3055}, {0.5000, 0.3857}, {0.5000, 0.4652}, {0.5000, 0.5470}, {0.4045, 0.6023},
    {0.4504, 0.6192}, {0.5000, 0.6337}, {0.5497, 0.6192}, {0.5955, 0.6023}, {0.2139, 0.3156},
    {0.2648, 0.2863}, {0.3259, 0.2872}, {0.3794, 0.3276}, {0.3221, 0.3378}, {0.2612, 0.3370},
    {0.6207, 0.3276}, {0.6742, 0.2872}, {0.7353, 0.2863}, {0.7862, 0.3156}, {0.7388, 0.3370},
    {0.6780, 0.3378}};

// The crop shows 1.2 mean-box widths, from 0.06 below the box top.
constexpr double kCropSpan = 1.2;
constexpr double kCropTop = 0.06;

cv::Point2d template_point(int i, int size) {
  const double u = (kMeanShape[i][0] - 0.5) / kCropSpan + 0.5;
  const double v = (kMeanShape[i][1] - kCropTop) / kCropSpan;
  // Crop pixel (0, 0) covers [0, 1/size) of the unit square and sits at coordinate 0.
  return {u * size - 0.5, v * size - 0.5};
}

}  // namespace

cv::Point2d transform_point(const cv::Matx23d& m, const cv::Point2d& p) {
  return {m(0, 0) * p.x + m(0, 1) * p.y + m(0, 2), m(1, 0) * p.x + m(1, 1) * p.y + m(1, 2)};
}

FaceAlignment align_face(const Landmarks& l, int crop_size) {
  if (crop_size < 16) throw InvalidArgument("face crop size must be at least 16, got " + std::to_string(crop_size));
  // Closed-form least squares for q ~ [a -b; b a] p + t (Umeyama without reflection).
  cv::Point2d mean_p, mean_q;
  for (int i = 0; i < kRigidCount; ++i) {
    mean_p += cv::Point2d(l[kFirstRigid + i]);
    mean_q += template_point(i, crop_size);
  }
  mean_p /= kRigidCount;
  mean_q /= kRigidCount;
  double dot = 0, cross = 0, norm = 0;
  for (int i = 0; i < kRigidCount; ++i) {
    const cv::Point2d p = cv::Point2d(l[kFirstRigid + i]) - mean_p;
    const cv::Point2d q = template_point(i, crop_size) - mean_q;
    dot += p.dot(q);
    cross += p.x * q.y - p.y * q.x;
    norm += p.dot(p);
  }
  if (!(norm > 1e-12)) throw InvalidArgument("cannot align a face whose eye and nose landmarks coincide");
  const double a = dot / norm, b = cross / norm;
  FaceAlignment out;
  out.size = crop_size;
  out.to_crop = cv::Matx23d(a, -b, mean_q.x - (a * mean_p.x - b * mean_p.y),
                            b, a, mean_q.y - (b * mean_p.x + a * mean_p.y));
  // Inverse of [a -b; b a] is [a b; -b a] / (a^2 + b^2).
  const double k = 1.0 / (a * a + b * b);
  const cv::Matx22d inv(a * k, b * k, -b * k, a * k);
  const cv::Vec2d t = -(inv * cv::Vec2d(out.to_crop(0, 2), out.to_crop(1, 2)));
  out.to_frame = cv::Matx23d(inv(0, 0), inv(0, 1), t[0], inv(1, 0), inv(1, 1), t[1]);
  return out;
}

cv::Mat warp_to_crop(const cv::Mat& frame, const FaceAlignment& a) {
  const cv::Size size(a.size, a.size);
  const double scale = std::hypot(a.to_crop(0, 0), a.to_crop(1, 0));  // crop px per frame px
  cv::Mat crop;
  if (scale < 0.5) {
    // Area-average the frame region the crop covers down to about the crop's scale, then
    // warp that with what is left of the transform (rotation, translation, scale ~1).
    std::vector<cv::Point2f> corners;
    for (const cv::Point2d c : {cv::Point2d(-1, -1), cv::Point2d(a.size, -1), cv::Point2d(-1, a.size),
                                cv::Point2d(a.size, a.size)})
      corners.emplace_back(transform_point(a.to_frame, c));
    const cv::Rect roi = cv::boundingRect(corners) & cv::Rect(0, 0, frame.cols, frame.rows);
    if (roi.width >= 2 && roi.height >= 2) {
      cv::Mat small;
      cv::resize(frame(roi), small, cv::Size(), scale, scale, cv::INTER_AREA);
      // Small pixel (x, y) averages the frame around roi.tl + ((x, y) + 0.5) / scale - 0.5
      // (OpenCV maps by the factor it was given, not by the rounded size ratio).
      const cv::Matx33d from_small(1 / scale, 0, roi.x + 0.5 / scale - 0.5, 0, 1 / scale, roi.y + 0.5 / scale - 0.5,
                                   0, 0, 1);
      const cv::Matx33d to_crop(a.to_crop(0, 0), a.to_crop(0, 1), a.to_crop(0, 2), a.to_crop(1, 0),
                                a.to_crop(1, 1), a.to_crop(1, 2), 0, 0, 1);
      const cv::Matx33d m = to_crop * from_small;
      cv::warpAffine(small, crop, cv::Matx23d(m(0, 0), m(0, 1), m(0, 2), m(1, 0), m(1, 1), m(1, 2)), size,
                     cv::INTER_LINEAR, cv::BORDER_REPLICATE);
      return crop;
    }
  }
  cv::warpAffine(frame, crop, a.to_crop, size, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  return crop;
}

}  // namespace dubkit
