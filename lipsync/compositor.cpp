#include "lipsync/compositor.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>
#include <opencv2/photo.hpp>

#include "core/error.hpp"

namespace dubkit {

std::vector<cv::Point> mouth_region(const FaceAlignment& a, const Landmarks& l, const CompositeOptions& opts,
                                    cv::Size frame_size) {
  const double margin = opts.jaw_margin * face_height(l);
  const cv::Point2f center = l[33];  // nose base: the jaw is pushed away from it
  std::vector<cv::Point2f> poly;
  for (int i = 2; i <= 14; ++i) {
    cv::Point2f d = l[i] - center;
    const double n = std::max(1e-6, cv::norm(d));
    poly.push_back(l[i] + d * static_cast<float>(margin / n));
  }
  for (int i = 35; i >= 31; --i) poly.push_back(l[i]);  // in case the jaw's ends lie lower
  // The crop below `top`, in frame pixels.
  const double s = a.size, top = opts.top * s;
  std::vector<cv::Point2f> below;
  for (const cv::Point2d& p : {cv::Point2d(0, top), cv::Point2d(s, top), cv::Point2d(s, s), cv::Point2d(0, s)}) {
    const cv::Point2d q = transform_point(a.to_frame, p);
    below.emplace_back(static_cast<float>(q.x), static_cast<float>(q.y));
  }
  std::vector<cv::Point2f> clipped;
  std::vector<cv::Point2f> hull;
  cv::convexHull(poly, hull);
  cv::intersectConvexConvex(hull, below, clipped);
  std::vector<cv::Point> out;
  for (const auto& p : clipped)
    out.emplace_back(std::clamp(static_cast<int>(std::lround(p.x)), 0, frame_size.width - 1),
                     std::clamp(static_cast<int>(std::lround(p.y)), 0, frame_size.height - 1));
  return out;
}

cv::Mat composite_face(cv::Mat& frame, const cv::Mat& generated, const FaceAlignment& a, const Landmarks& l,
                       const CompositeOptions& opts) {
  if (frame.type() != CV_8UC3 || generated.type() != CV_8UC3 || generated.rows != a.size || generated.cols != a.size)
    throw InvalidArgument("composite: the frame and the generated crop must be BGR 8-bit, the crop " + std::to_string(a.size) +
                          " pixels square");
  cv::Mat mask = cv::Mat::zeros(frame.size(), CV_8UC1);
  const auto poly = mouth_region(a, l, opts, frame.size());
  if (poly.size() < 3) return mask;
  cv::fillConvexPoly(mask, poly, cv::Scalar(255), cv::LINE_8);
  const cv::Rect roi = cv::boundingRect(poly) & cv::Rect(0, 0, frame.cols, frame.rows);
  if (roi.area() == 0) return mask;

  // The generated crop warped into the region's bounding box only.
  cv::Matx23d to_roi = a.to_frame;
  to_roi(0, 2) -= roi.x;
  to_roi(1, 2) -= roi.y;
  cv::Mat gen;
  cv::warpAffine(generated, gen, to_roi, roi.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  cv::Mat dst = frame(roi);
  const cv::Mat region = mask(roi);

  if (opts.color_match) {
    cv::Mat skin = region.clone();
    std::vector<cv::Point> lips;
    for (int i = 48; i <= 59; ++i) lips.emplace_back(static_cast<int>(l[i].x) - roi.x, static_cast<int>(l[i].y) - roi.y);
    cv::fillPoly(skin, std::vector<std::vector<cv::Point>>{lips}, cv::Scalar(0));
    if (cv::countNonZero(skin) > 16) {
      const cv::Scalar want = cv::mean(dst, skin), have = cv::mean(gen, skin);
      gen.convertTo(gen, CV_16SC3);
      gen += cv::Scalar(want[0] - have[0], want[1] - have[1], want[2] - have[2]);
      gen.convertTo(gen, CV_8UC3);  // saturates
    }
  }

  if (opts.poisson) {
    cv::Mat blended;
    const cv::Point center(roi.x + roi.width / 2, roi.y + roi.height / 2);
    cv::Mat src = cv::Mat::zeros(frame.size(), CV_8UC3);
    gen.copyTo(src(roi));
    cv::seamlessClone(src, frame, mask, center, blended, cv::NORMAL_CLONE);
    blended.copyTo(frame, mask);  // outside the polygon the frame stays as it was
    return mask;
  }

  // Feathered weight: the polygon shrunk by three feather widths (a distance transform, which
  // costs the same for any width; the zero border makes the polygon's edges on the box's edge
  // shrink too), blurred with sigma one width, so the weight has fallen to ~0.001 at the
  // polygon's edge (no visible seam); the product with the polygon makes "outside is
  // untouched" exact.
  const double f = std::max(1.0, opts.feather * face_height(l));
  cv::Mat padded, distance, weight;
  cv::copyMakeBorder(region, padded, 1, 1, 1, 1, cv::BORDER_CONSTANT, cv::Scalar(0));
  cv::distanceTransform(padded, distance, cv::DIST_L2, cv::DIST_MASK_PRECISE);
  cv::threshold(distance(cv::Rect(1, 1, roi.width, roi.height)), weight, 3 * f, 255, cv::THRESH_BINARY);
  weight.convertTo(weight, CV_32F, 1.0 / 255);
  cv::GaussianBlur(weight, weight, cv::Size(0, 0), f);
  cv::Mat inside;
  region.convertTo(inside, CV_32F, 1.0 / 255);
  weight = weight.mul(inside);
  for (int y = 0; y < roi.height; ++y) {
    const float* w = weight.ptr<float>(y);
    const cv::Vec3b* g = gen.ptr<cv::Vec3b>(y);
    cv::Vec3b* d = dst.ptr<cv::Vec3b>(y);
    for (int x = 0; x < roi.width; ++x) {
      if (w[x] <= 0.f) continue;
      for (int c = 0; c < 3; ++c)
        d[x][c] = cv::saturate_cast<uchar>(d[x][c] + w[x] * (static_cast<float>(g[x][c]) - d[x][c]));
    }
  }
  return mask;
}

}  // namespace dubkit
