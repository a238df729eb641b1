// Internal to the synthetic face renderer (talking_faces/synthetic_face.hpp): the seeded random
// numbers and colours identities are drawn with, the head's view (face coordinates to pixels),
// and the anti-aliased drawing primitives every part of the picture is made of.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "talking_faces/synthetic_face.hpp"

namespace dubkit::synthetic {

constexpr double kPi = 3.14159265358979323846;
constexpr int kShift = 4;  // sub-pixel bits for cv drawing: smooth motion of small features

// splitmix64: the same numbers on every platform, unlike the std distributions.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform(double lo = 0, double hi = 1) {
    return lo + (hi - lo) * static_cast<double>(next() >> 11) * 0x1.0p-53;
  }
  int pick(int n) { return static_cast<int>(next() % static_cast<std::uint64_t>(n)); }
  float uniformf(double lo, double hi) { return static_cast<float>(uniform(lo, hi)); }

 private:
  std::uint64_t state_;
};

inline cv::Vec3f mix(const cv::Vec3f& a, const cv::Vec3f& b, double t) { return a + (b - a) * static_cast<float>(t); }
inline cv::Vec3f rgb(float r, float g, float b) { return {b, g, r}; }
inline cv::Vec3f scaled(const cv::Vec3f& c, double k) { return c * static_cast<float>(k); }
inline double luminance(const cv::Vec3f& bgr) { return 0.114 * bgr[0] + 0.587 * bgr[1] + 0.299 * bgr[2]; }
inline double clamp01(double x) { return std::clamp(x, 0.0, 1.0); }
// Three draws in [lo, hi), one per channel.
cv::Vec3f random_colour(Rng& r, double lo, double hi);
// Interpolates a palette of anchors at t in [0, size-1].
cv::Vec3f palette(const std::vector<cv::Vec3f>& anchors, double t);

using Poly = std::vector<cv::Point2f>;

// Face coordinates (units of half the face height, depth z toward the camera) to pixels, and
// back for points on the z = 0 plane.
struct View {
  double cx, cy, R, cos_roll, sin_roll, cos_yaw, sin_yaw, cos_pitch, sin_pitch;

  View(const FaceIdentity& id, const HeadPose& pose, cv::Size frame) {
    cx = id.center_x * frame.width + pose.dx;
    cy = id.center_y * frame.height + pose.dy;
    R = 0.5 * id.face_height * frame.height * pose.scale;
    const double d = kPi / 180;
    cos_roll = std::cos(pose.roll * d), sin_roll = std::sin(pose.roll * d);
    cos_yaw = std::cos(pose.yaw * d), sin_yaw = std::sin(pose.yaw * d);
    cos_pitch = std::cos(pose.pitch * d), sin_pitch = std::sin(pose.pitch * d);
  }
  cv::Point2f px(double u, double v, double z = 0) const {
    const double u1 = u * cos_yaw + z * sin_yaw, z1 = -u * sin_yaw + z * cos_yaw;
    const double v1 = v * cos_pitch - z1 * sin_pitch;
    return {static_cast<float>(cx + R * (u1 * cos_roll - v1 * sin_roll)),
            static_cast<float>(cy + R * (u1 * sin_roll + v1 * cos_roll))};
  }
  cv::Point2d face(double x, double y) const {
    const double a = (x - cx) / R, b = (y - cy) / R;
    return {(a * cos_roll + b * sin_roll) / cos_yaw, (-a * sin_roll + b * cos_roll) / cos_pitch};
  }
  // Where a point at depth z appears, in face coordinates: what shading features must follow.
  cv::Point2d shifted(double u, double v, double z) const { return {u + z * sin_yaw, v - z * sin_pitch}; }
  // A screen-space direction expressed in face coordinates (the head turned, the light did not).
  cv::Vec3d to_face(const cv::Vec3d& s) const {
    const double x = s[0] * cos_roll + s[1] * sin_roll, y = -s[0] * sin_roll + s[1] * cos_roll;
    const double v = y * cos_pitch + s[2] * sin_pitch, z1 = -y * sin_pitch + s[2] * cos_pitch;
    return {x * cos_yaw - z1 * sin_yaw, v, x * sin_yaw + z1 * cos_yaw};
  }
};

// An image being drawn on and the frame pixel its (0, 0) stands for.
struct Canvas {
  cv::Mat img;
  cv::Point2f origin;
};

// The polygon in kShift fixed-point pixels relative to `origin`, as cv drawing takes it.
std::vector<cv::Point> fixed(const Poly& p, cv::Point2f origin);
cv::Scalar scalar(const cv::Vec3f& c);
void fill(Canvas& c, const Poly& p, const cv::Vec3f& colour);
void stroke(Canvas& c, const Poly& p, const cv::Vec3f& colour, double width, bool closed = false);
// dst += (src - dst) * mask * opacity, 8-bit BGR images and an 8-bit mask of one size.
void blend(cv::Mat& dst, const cv::Mat& src, const cv::Mat& mask, double opacity = 1);
// The pixel box around `p` (relative to `origin`) with `margin`, clipped to `size`.
cv::Rect bounds(const Poly& p, cv::Point2f origin, cv::Size size, int margin = 2);
cv::Rect bounds(const Poly& p, const Canvas& c, int margin = 2);

// Runs `draw` on a copy of the region under `clip`, then keeps only what falls inside `clip`
// (anti-aliased edge), at `opacity`. Eyes and the mouth cavity draw their content this way.
template <class Draw>
void clipped(Canvas& c, const Poly& clip, double opacity, Draw draw) {
  const cv::Rect box = bounds(clip, c);
  if (box.empty()) return;
  Canvas sub{c.img(box).clone(), c.origin + cv::Point2f(box.tl())};
  draw(sub);
  cv::Mat mask = cv::Mat::zeros(box.size(), CV_8UC1);
  const std::vector<std::vector<cv::Point>> polys{fixed(clip, sub.origin)};
  cv::fillPoly(mask, polys, cv::Scalar(255), cv::LINE_AA, kShift);
  cv::Mat target = c.img(box);
  blend(target, sub.img, mask, opacity);
}

// Runs `draw` on a copy of `box` and mixes it back at `alpha`: translucent strokes and fills
// (brows, creases, nostrils, hair strands drawn as one batch).
template <class Draw>
void translucent(Canvas& c, const cv::Rect& box, double alpha, Draw draw) {
  if (box.empty()) return;
  cv::Mat region = c.img(box);
  Canvas sub{region.clone(), c.origin + cv::Point2f(box.tl())};
  draw(sub);
  cv::addWeighted(sub.img, alpha, region, 1 - alpha, 0, region);
}

void stroke_alpha(Canvas& c, const Poly& p, const cv::Vec3f& colour, double width, double alpha);
void fill_alpha(Canvas& c, const Poly& p, const cv::Vec3f& colour, double alpha);
// An ellipse in face coordinates (centre, half axes, rotation in radians) at depth z.
Poly ellipse(const View& view, double u, double v, double a, double b, double angle, double z, int n = 28);

}  // namespace dubkit::synthetic
