#include "talking_faces/synthetic_drawing.hpp"

#include <algorithm>

namespace dubkit::synthetic {

// One statement per draw: the order of arguments in a call is unspecified in C++.
cv::Vec3f random_colour(Rng& r, double lo, double hi) {
  cv::Vec3f c;
  for (int i = 0; i < 3; ++i) c[i] = r.uniformf(lo, hi);
  return c;
}

cv::Vec3f palette(const std::vector<cv::Vec3f>& anchors, double t) {
  const int i = std::clamp(static_cast<int>(t), 0, static_cast<int>(anchors.size()) - 2);
  return mix(anchors[i], anchors[i + 1], std::clamp(t - i, 0.0, 1.0));
}

std::vector<cv::Point> fixed(const Poly& p, cv::Point2f origin) {
  std::vector<cv::Point> out;
  out.reserve(p.size());
  for (const auto& q : p)
    out.emplace_back(cvRound((q.x - origin.x) * (1 << kShift)), cvRound((q.y - origin.y) * (1 << kShift)));
  return out;
}

cv::Scalar scalar(const cv::Vec3f& c) { return {c[0], c[1], c[2]}; }

void fill(Canvas& c, const Poly& p, const cv::Vec3f& colour) {
  const std::vector<std::vector<cv::Point>> polys{fixed(p, c.origin)};
  cv::fillPoly(c.img, polys, scalar(colour), cv::LINE_AA, kShift);
}

void stroke(Canvas& c, const Poly& p, const cv::Vec3f& colour, double width, bool closed) {
  const std::vector<std::vector<cv::Point>> polys{fixed(p, c.origin)};
  cv::polylines(c.img, polys, closed, scalar(colour), std::max(1, cvRound(width)), cv::LINE_AA, kShift);
}

void blend(cv::Mat& dst, const cv::Mat& src, const cv::Mat& mask, double opacity) {
  const int k = cvRound(opacity * 256);
  for (int y = 0; y < dst.rows; ++y) {
    auto* d = dst.ptr<uchar>(y);
    const auto* s = src.ptr<uchar>(y);
    const auto* m = mask.ptr<uchar>(y);
    for (int x = 0; x < dst.cols; ++x) {
      const int a = m[x] * k;
      if (a == 0) continue;
      for (int ch = 0; ch < 3; ++ch)
        d[3 * x + ch] = static_cast<uchar>(d[3 * x + ch] + ((s[3 * x + ch] - d[3 * x + ch]) * a) / (255 * 256));
    }
  }
}

cv::Rect bounds(const Poly& p, cv::Point2f origin, cv::Size size, int margin) {
  float x0 = p[0].x, x1 = p[0].x, y0 = p[0].y, y1 = p[0].y;
  for (const auto& q : p)
    x0 = std::min(x0, q.x), x1 = std::max(x1, q.x), y0 = std::min(y0, q.y), y1 = std::max(y1, q.y);
  cv::Rect box(cvFloor(x0 - origin.x) - margin, cvFloor(y0 - origin.y) - margin, cvCeil(x1 - x0) + 2 * margin + 2,
               cvCeil(y1 - y0) + 2 * margin + 2);
  return box & cv::Rect(0, 0, size.width, size.height);
}

cv::Rect bounds(const Poly& p, const Canvas& c, int margin) { return bounds(p, c.origin, c.img.size(), margin); }

void stroke_alpha(Canvas& c, const Poly& p, const cv::Vec3f& colour, double width, double alpha) {
  translucent(c, bounds(p, c, static_cast<int>(width) + 2), alpha, [&](Canvas& s) { stroke(s, p, colour, width); });
}

void fill_alpha(Canvas& c, const Poly& p, const cv::Vec3f& colour, double alpha) {
  translucent(c, bounds(p, c), alpha, [&](Canvas& s) { fill(s, p, colour); });
}

Poly ellipse(const View& view, double u, double v, double a, double b, double angle, double z, int n) {
  Poly p;
  p.reserve(n);
  const double ca = std::cos(angle), sa = std::sin(angle);
  for (int i = 0; i < n; ++i) {
    const double t = 2 * kPi * i / n, x = a * std::cos(t), y = b * std::sin(t);
    p.push_back(view.px(u + x * ca - y * sa, v + x * sa + y * ca, z));
  }
  return p;
}

}  // namespace dubkit::synthetic
