#include "faces/synthetic_face.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <initializer_list>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace dubkit {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int kShift = 4;   // sub-pixel bits for cv drawing: smooth motion of small features
constexpr int kTile = 128;  // side of the per-identity skin texture tile (power of two)

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

cv::Vec3f mix(const cv::Vec3f& a, const cv::Vec3f& b, double t) { return a + (b - a) * static_cast<float>(t); }
cv::Vec3f rgb(float r, float g, float b) { return {b, g, r}; }
cv::Vec3f scaled(const cv::Vec3f& c, double k) { return c * static_cast<float>(k); }
double luminance(const cv::Vec3f& bgr) { return 0.114 * bgr[0] + 0.587 * bgr[1] + 0.299 * bgr[2]; }
// One statement per draw: the order of arguments in a call is unspecified in C++.
cv::Vec3f random_colour(Rng& r, double lo, double hi) {
  cv::Vec3f c;
  for (int i = 0; i < 3; ++i) c[i] = r.uniformf(lo, hi);
  return c;
}
double clamp01(double x) { return std::clamp(x, 0.0, 1.0); }

// Interpolates a palette of anchors at t in [0, size-1].
cv::Vec3f palette(const std::vector<cv::Vec3f>& anchors, double t) {
  const int i = std::clamp(static_cast<int>(t), 0, static_cast<int>(anchors.size()) - 2);
  return mix(anchors[i], anchors[i + 1], std::clamp(t - i, 0.0, 1.0));
}

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

void stroke(Canvas& c, const Poly& p, const cv::Vec3f& colour, double width, bool closed = false) {
  const std::vector<std::vector<cv::Point>> polys{fixed(p, c.origin)};
  cv::polylines(c.img, polys, closed, scalar(colour), std::max(1, cvRound(width)), cv::LINE_AA, kShift);
}

// dst += (src - dst) * mask * opacity, 8-bit BGR images and an 8-bit mask of one size.
void blend(cv::Mat& dst, const cv::Mat& src, const cv::Mat& mask, double opacity = 1) {
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

cv::Rect bounds(const Poly& p, cv::Point2f origin, cv::Size size, int margin = 2) {
  float x0 = p[0].x, x1 = p[0].x, y0 = p[0].y, y1 = p[0].y;
  for (const auto& q : p)
    x0 = std::min(x0, q.x), x1 = std::max(x1, q.x), y0 = std::min(y0, q.y), y1 = std::max(y1, q.y);
  cv::Rect box(cvFloor(x0 - origin.x) - margin, cvFloor(y0 - origin.y) - margin, cvCeil(x1 - x0) + 2 * margin + 2,
               cvCeil(y1 - y0) + 2 * margin + 2);
  return box & cv::Rect(0, 0, size.width, size.height);
}

cv::Rect bounds(const Poly& p, const Canvas& c, int margin = 2) { return bounds(p, c.origin, c.img.size(), margin); }

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

void stroke_alpha(Canvas& c, const Poly& p, const cv::Vec3f& colour, double width, double alpha) {
  translucent(c, bounds(p, c, static_cast<int>(width) + 2), alpha, [&](Canvas& s) { stroke(s, p, colour, width); });
}

void fill_alpha(Canvas& c, const Poly& p, const cv::Vec3f& colour, double alpha) {
  translucent(c, bounds(p, c), alpha, [&](Canvas& s) { fill(s, p, colour); });
}

// An ellipse in face coordinates (centre, half axes, rotation in radians) at depth z.
Poly ellipse(const View& view, double u, double v, double a, double b, double angle, double z, int n = 28) {
  Poly p;
  p.reserve(n);
  const double ca = std::cos(angle), sa = std::sin(angle);
  for (int i = 0; i < n; ++i) {
    const double t = 2 * kPi * i / n, x = a * std::cos(t), y = b * std::sin(t);
    p.push_back(view.px(u + x * ca - y * sa, v + x * sa + y * ca, z));
  }
  return p;
}

// --- Shading ----------------------------------------------------------------------------

struct Gauss {  // exp(-((u-cu)^2/su^2 + (v-cv)^2/sv^2)/2), in face coordinates
  double u, v, su, sv;
  double at(double x, double y) const {
    const double a = (x - u) / su, b = (y - v) / sv;
    const double q = a * a + b * b;
    return q > 18 ? 0 : std::exp(-0.5 * q);
  }
};
struct Bump {
  Gauss g;
  double height;
};  // raises (or sinks) the surface: changes the normal
struct Shadow {
  Gauss g;
  double depth;
};  // occlusion: multiplies the light by 1 - depth*g
struct Tint {
  Gauss g;
  cv::Vec3f gain;
};  // colour change: blush, redder nose tip

// A surface lit by the identity's light: an ellipsoid of the given half axes and depth, plus
// bumps, occlusion and tints, plus optional low-frequency blotches.
struct Surface {
  double cu = 0, cv = 0, a = 1, b = 1, depth = 0.8;
  std::vector<Bump> bumps;
  std::vector<Shadow> shadows;
  std::vector<Tint> tints;
  double specular = 0, shininess = 12;
  double cell = 8;                                  // shading grid step: R / cell pixels
  bool skin = false;                                // reddish penumbra (light scattered under the skin)
  const std::array<float, 64>* blotches = nullptr;  // 8x8 grid over u, v in [-1.4, 1.4]
};

struct Light {
  cv::Vec3d dir;  // in face coordinates, unit
  double ambient;
};

double blotch_at(const std::array<float, 64>& g, double u, double v) {
  const double x = std::clamp((u + 1.4) / 2.8 * 7, 0.0, 6.999), y = std::clamp((v + 1.4) / 2.8 * 7, 0.0, 6.999);
  const int i = static_cast<int>(x), j = static_cast<int>(y);
  const double fx = x - i, fy = y - j;
  return (g[j * 8 + i] * (1 - fx) + g[j * 8 + i + 1] * fx) * (1 - fy) +
         (g[j * 8 + 8 + i] * (1 - fx) + g[j * 8 + 9 + i] * fx) * fy;
}

// BGR light gains and additive specular over a layer's roi, on a coarse grid: the shading is
// smooth, and compose() interpolates it.
struct ShadeGrid {
  cv::Mat gains;  // CV_32FC4; sample (i, j) lies at roi pixel (i*step + (step-1)/2, j*step + ...)
  int step;
};

ShadeGrid shade_map(const cv::Rect& roi, const View& view, const Surface& s, const Light& light) {
  const int k = std::max(2, static_cast<int>(view.R / s.cell));
  const int gw = roi.width / k + 2, gh = roi.height / k + 2;
  cv::Mat low(gh, gw, CV_32FC4);
  const cv::Vec3d half = cv::normalize(light.dir + cv::Vec3d(0, 0, 1));
  const double diffuse = 1.08 - light.ambient, wrap = 0.3;
  for (int j = 0; j < gh; ++j) {
    auto* out = low.ptr<cv::Vec4f>(j);
    for (int i = 0; i < gw; ++i) {
      const cv::Point2d f = view.face(roi.x + i * k + 0.5 * (k - 1), roi.y + j * k + 0.5 * (k - 1));
      double x = (f.x - s.cu) / s.a, y = (f.y - s.cv) / s.b, q = x * x + y * y;
      if (q > 0.97) {
        const double r = std::sqrt(0.97 / q);
        x *= r, y *= r, q = 0.97;
      }
      const double h = std::sqrt(1 - q);
      double hx = -s.depth * x / (s.a * h), hy = -s.depth * y / (s.b * h);
      for (const auto& bump : s.bumps) {
        const double g = bump.height * bump.g.at(f.x, f.y);
        hx -= g * (f.x - bump.g.u) / (bump.g.su * bump.g.su);
        hy -= g * (f.y - bump.g.v) / (bump.g.sv * bump.g.sv);
      }
      const cv::Vec3d n = cv::normalize(cv::Vec3d(-hx, -hy, 1));
      const double lambert = std::max(0.0, (n.dot(light.dir) + wrap) / (1 + wrap));
      double occlusion = 1;
      for (const auto& sh : s.shadows) occlusion *= 1 - sh.depth * sh.g.at(f.x, f.y);
      const double shade = (light.ambient + diffuse * lambert) * occlusion;
      cv::Vec3d gain(std::pow(shade, s.skin ? 1.08 : 1.0), shade, std::pow(shade, s.skin ? 0.86 : 1.0));
      for (const auto& t : s.tints) {
        const double g = t.g.at(f.x, f.y);
        for (int c = 0; c < 3; ++c) gain[c] *= 1 + (t.gain[c] - 1) * g;
      }
      if (s.blotches) {
        const double b = blotch_at(*s.blotches, f.x, f.y);
        gain[0] *= 1 + 0.6 * b, gain[1] *= 1 + 0.8 * b, gain[2] *= 1 + 0.4 * b;
      }
      const double spec = s.specular * std::pow(std::max(0.0, n.dot(half)), s.shininess) * occlusion;
      out[i] = cv::Vec4f(static_cast<float>(gain[0]), static_cast<float>(gain[1]), static_cast<float>(gain[2]),
                         static_cast<float>(spec));
    }
  }
  return {low, k};
}

// One shaded, textured piece of the picture (face, neck, hair...): its albedo is drawn first,
// then lit and blended into the frame through its anti-aliased outline.
struct Layer {
  cv::Rect roi;   // in the frame
  Canvas albedo;  // roi-sized
  cv::Mat mask;   // roi-sized coverage of the outline
  bool empty() const { return roi.empty(); }
};

Layer make_layer(cv::Size frame, const Poly& outline, const cv::Vec3f& colour) {
  Layer l;
  l.roi = bounds(outline, {0, 0}, frame);
  if (l.roi.empty()) return l;
  l.albedo = Canvas{cv::Mat(l.roi.size(), CV_8UC3), cv::Point2f(l.roi.tl())};
  const cv::Vec3b c(cv::saturate_cast<uchar>(colour[0]), cv::saturate_cast<uchar>(colour[1]),
                    cv::saturate_cast<uchar>(colour[2]));
  auto* first = l.albedo.img.ptr<cv::Vec3b>(0);
  std::fill(first, first + l.roi.width, c);  // cv::Mat::setTo is slow for 3 channels
  for (int y = 1; y < l.roi.height; ++y) std::copy(first, first + l.roi.width, l.albedo.img.ptr<cv::Vec3b>(y));
  l.mask = cv::Mat::zeros(l.roi.size(), CV_8UC1);
  const std::vector<std::vector<cv::Point>> polys{fixed(outline, l.albedo.origin)};
  cv::fillPoly(l.mask, polys, cv::Scalar(255), cv::LINE_AA, kShift);
  return l;
}

// A stable per-identity noise tile (zero mean, unit variance) anchored at the face centre, so
// texture moves with the head instead of crawling over it.
struct Texture {
  cv::Mat tile;  // kTile x kTile CV_32F
  cv::Point anchor;
};

void compose(cv::Mat& frame, const Layer& l, const ShadeGrid& shade, const Texture& tex, float amount,
             double opacity = 1) {
  const float coverage = static_cast<float>(opacity / 255);
  const int step = shade.step, gw = shade.gains.cols, gh = shade.gains.rows;
  const auto cell = [step](int p, int n, int& i, float& f) {  // bilinear position on the grid
    const float g = (p - 0.5f * (step - 1)) / step;
    i = std::clamp(static_cast<int>(std::floor(g)), 0, n - 2);
    f = std::clamp(g - i, 0.f, 1.f);
  };
  std::vector<int> ix(l.roi.width);
  std::vector<float> fx(l.roi.width);
  for (int x = 0; x < l.roi.width; ++x) cell(x, gw, ix[x], fx[x]);
  std::vector<float> row(4 * gw);  // the grid interpolated to the current row
  const int w = l.roi.width;
  std::vector<float> gain(4 * static_cast<std::size_t>(w));  // ... and to each pixel: b, g, r, specular
  for (int y = 0; y < l.roi.height; ++y) {
    const auto* m = l.mask.ptr<uchar>(y);
    int first = 0, last = w;
    while (first < last && m[first] == 0) ++first;
    while (last > first && m[last - 1] == 0) --last;
    if (first == last) continue;
    int j;
    float fy;
    cell(y, gh, j, fy);
    const auto* g0 = shade.gains.ptr<float>(j);
    const auto* g1 = shade.gains.ptr<float>(j + 1);
    for (int i = 0; i < 4 * gw; ++i) row[i] = g0[i] + (g1[i] - g0[i]) * fy;
    for (int x = first; x < last; ++x) {
      const float* g = row.data() + 4 * ix[x];
      const float f = fx[x];
      for (int c = 0; c < 4; ++c) gain[4 * x + c] = g[c] + (g[c + 4] - g[c]) * f;
    }
    auto* d = frame.ptr<uchar>(l.roi.y + y) + 3 * l.roi.x;
    const auto* a = l.albedo.img.ptr<uchar>(y);
    const auto* t = tex.tile.ptr<float>((l.roi.y + y - tex.anchor.y) & (kTile - 1));
    for (int x = first; x < last; ++x) {
      if (m[x] == 0) continue;
      const float alpha = m[x] * coverage;
      const float grain = 1 + amount * t[(l.roi.x + x - tex.anchor.x) & (kTile - 1)];
      const float* g = &gain[4 * x];
      const float spec = 255 * g[3];
      for (int c = 0; c < 3; ++c) {
        const float lit = std::min(a[3 * x + c] * g[c] * grain + spec, 255.f);
        d[3 * x + c] = static_cast<uchar>(d[3 * x + c] + (lit - d[3 * x + c]) * alpha + 0.5f);
      }
    }
  }
}

void draw_layer(cv::Mat& frame, const Layer& l, const View& view, const Surface& s, const Light& light,
                const Texture& tex, float grain, double opacity = 1) {
  if (l.empty()) return;
  compose(frame, l, shade_map(l.roi, view, s, light), tex, grain, opacity);
}

// --- Geometry ---------------------------------------------------------------------------

// The mouth in face coordinates: four lip curves sampled at the same x positions.
struct Mouth {
  std::vector<double> x, upper_outer, upper_inner, lower_inner, lower_outer, upper_teeth, lower_teeth;
  double gap = 0;      // middle inner-lip gap
  double jaw = 0;      // how far the chin dropped
  double inner_w = 0;  // half width of the opening
  double half_w = 0;
};

Mouth mouth_geometry(const FaceIdentity& id, const MouthShape& m) {
  const double open = clamp01(m.open), contact = clamp01(m.lip_contact), tuck = clamp01(m.lower_lip_tuck);
  const double spread = std::clamp(m.spread, -1.0, 1.0);
  const double round = std::max(0.0, -spread), wide = std::max(0.0, spread);
  Mouth g;
  g.half_w = id.mouth_w * (1 + 0.16 * wide - 0.32 * round) * (1 - 0.06 * open);
  g.inner_w = g.half_w * (0.9 - 0.4 * round);
  g.gap = 0.34 * open * (1 - contact);
  const double tuck_gap = 0.035 * tuck * (1 - contact);  // upper teeth show over the tucked lip
  g.jaw = 0.65 * g.gap + 0.02 * tuck;
  const double press = 1 - 0.35 * contact;
  const double tu = id.upper_lip * press * (1 + 0.3 * round) * (1 - 0.08 * open);
  const double tl = id.lower_lip * press * (1 + 0.25 * round) * (1 - 0.1 * open) * (1 - 0.45 * tuck);
  const double corner = id.mouth_corner - 0.015 * wide;
  const double p = 0.4 + 0.3 * wide - 0.1 * round;  // profile exponent: round vs lens opening
  const int n = 25;
  for (int i = 0; i < n; ++i) {
    const double s = -std::cos(kPi * i / (n - 1));  // denser near the corners
    const double x = s * g.half_w, si = x / g.inner_w;
    const double prof = std::abs(si) < 1 ? std::pow(1 - si * si, p) : 0.0;
    const double base = id.mouth_y + corner * s * s;
    const double up = base - (0.2 * g.gap + 0.012 * wide * open) * prof;
    const double low = base + (0.8 * g.gap + tuck_gap) * prof - 0.01 * tuck * prof;
    const double bow = 1 - 0.22 * std::exp(-(s / 0.12) * (s / 0.12));
    g.x.push_back(x);
    g.upper_inner.push_back(up);
    g.lower_inner.push_back(low);
    g.upper_outer.push_back(up - tu * std::pow(std::max(0.0, 1 - std::pow(std::abs(s), 2.2)), 0.55) * bow);
    g.lower_outer.push_back(low + tl * std::pow(std::max(0.0, 1 - s * s), 0.6));
    const double arch = std::abs(si) < 1 ? si * si : 1;
    g.upper_teeth.push_back(id.mouth_y + 0.014 - 0.05 * arch);
    g.lower_teeth.push_back(id.mouth_y + 0.68 * g.gap + 0.012 + 0.05 * arch);
  }
  return g;
}

// The face outline with the jaw dropped by `jaw`.
Poly face_outline(const FaceIdentity& id, const View& view, double jaw) {
  Poly p;
  const int n = 96;
  const double e = 2 / id.jaw_square;
  for (int i = 0; i < n; ++i) {
    const double t = 2 * kPi * i / n, c = std::cos(t), s = std::sin(t);
    double x, y, z = 0;
    if (s < 0) {  // forehead and scalp
      x = id.face_width * c * (1 - 0.1 * s * s);
      y = 1.2 * s;
    } else {  // cheeks, jaw, chin
      x = id.face_width * (c < 0 ? -1 : 1) * std::pow(std::abs(c), e);
      y = std::pow(s, e);
      x *= 1 - id.chin_taper * y * y;
      y += jaw * std::pow(clamp01((y - 0.15) / 0.85), 1.3);
      z = 0.4 * std::pow(s, 4);
    }
    p.push_back(view.px(x, y, z));
  }
  return p;
}

// --- Features ---------------------------------------------------------------------------

void draw_eye(Canvas& c, const FaceIdentity& id, const View& view, double side, double blink, const Light& light,
              std::vector<std::pair<cv::Point2f, float>>& catchlights) {
  const int n = 17;
  const double z = 0.5;
  Poly upper, lower, crease;
  std::vector<double> ys_up, ys_low;
  for (int i = 0; i < n; ++i) {
    const double s = -1 + 2.0 * i / (n - 1);  // inner corner .. outer corner
    const double u = side * (id.eye_x + s * id.eye_w);
    const double base = id.eye_y - id.eye_tilt * id.eye_w * s;
    const double up = base - id.eye_h * std::pow(1 - s * s, 0.6) * (1 - 0.18 * s);
    const double low = base + 0.55 * id.eye_h * std::pow(1 - s * s, 0.8) * (1 + 0.15 * s);
    const double lid = up + std::clamp(blink, 0.0, 1.0) * (low - up) * 0.97;
    upper.push_back(view.px(u, lid, z));
    lower.push_back(view.px(u, low, z));
    crease.push_back(view.px(u, up - 0.55 * id.eye_h * std::pow(1 - s * s, 0.5) - 0.01, z));
  }
  Poly opening = upper;
  opening.insert(opening.end(), lower.rbegin(), lower.rend());
  const double px = view.R;
  const double iris_r = 1.1 * id.eye_h;
  const double gaze = 0.1 * id.eye_w * side * (id.eye_x > 0 ? -0.2 : 0.2);
  const cv::Point2f iris_c = view.px(side * id.eye_x + gaze, id.eye_y + 0.1 * id.eye_h, z + 0.02);
  if (blink < 0.97) {
    clipped(c, opening, 1, [&](Canvas& e) {
      fill(e, opening, id.sclera);
      const cv::Point2f o = e.origin;
      const auto circle = [&](double r, const cv::Vec3f& colour) {
        cv::circle(e.img, cv::Point(cvRound((iris_c.x - o.x) * 16), cvRound((iris_c.y - o.y) * 16)),
                   cvRound(r * px * 16), scalar(colour), cv::FILLED, cv::LINE_AA, kShift);
      };
      circle(iris_r, scaled(id.iris, 0.55));
      circle(iris_r * 0.86, id.iris);
      circle(iris_r * 0.55, mix(id.iris, scaled(id.iris, 1.35), 0.6));
      circle(iris_r * 0.4, cv::Vec3f(18, 16, 16));
      // the upper lid and lashes cast a soft shadow on the eyeball
      stroke_alpha(e, upper, scaled(id.skin, 0.25), std::max(1.0, 0.4 * id.eye_h * px), 0.45);
    });
    if (blink < 0.4) {
      const double side_light = light.dir[0] >= 0 ? 1 : -1;
      catchlights.emplace_back(iris_c + cv::Point2f(static_cast<float>(0.35 * side_light * iris_r * px),
                                                    static_cast<float>(-0.4 * iris_r * px)),
                               static_cast<float>(std::max(0.8, 0.17 * iris_r * px)));
      // caruncle: the pink inner corner
      fill_alpha(c, ellipse(view, side * (id.eye_x - 0.9 * id.eye_w), id.eye_y + 0.005, 0.018, 0.012, 0, z), id.lips,
                 0.5);
    }
  }
  const double lash = std::max(1.0, 0.016 * px);
  Poly lashes(upper.begin() + 1, upper.end());
  lashes.push_back(view.px(side * (id.eye_x + 1.12 * id.eye_w), id.eye_y - id.eye_tilt * id.eye_w - 0.2 * id.eye_h, z));
  stroke_alpha(c, lashes, cv::Vec3f(20, 18, 18), lash, 0.85);
  stroke_alpha(c, lower, scaled(id.skin, 0.45), 1, 0.35);
  stroke_alpha(c, crease, scaled(id.skin, 0.55), std::max(1.0, 0.01 * px), 0.3);
}

void draw_brow(Canvas& c, const FaceIdentity& id, const View& view, double side) {
  const int n = 12;
  Poly top, bottom;
  const double inner = id.eye_x - 1.05 * id.eye_w, length = 2.2 * id.eye_w;
  for (int i = 0; i < n; ++i) {
    const double s = static_cast<double>(i) / (n - 1);
    const double u = side * (inner + s * length);
    const double a = (s - 0.62) / 0.62;
    const double y = id.brow_y + 0.012 * (1 - s) - id.brow_arch * (1 - a * a);
    const double t = id.brow_thick * (1 - 0.65 * s * s) * (i == 0 ? 0.8 : 1);
    top.push_back(view.px(u, y - 0.5 * t, 0.55));
    bottom.push_back(view.px(u, y + 0.5 * t, 0.55));
  }
  Poly shape = top;
  shape.insert(shape.end(), bottom.rbegin(), bottom.rend());
  fill_alpha(c, shape, id.brows, 0.75);
  // individual hairs: upward at the inner end, along the brow outward
  Rng r(id.seed * 31 + (side > 0 ? 7 : 3));
  translucent(c, bounds(shape, c, 6), 0.5, [&](Canvas& b) {
    for (int i = 0; i < 36; ++i) {
      const double s = r.uniform(), off = r.uniform(-0.5, 0.5), shade = r.uniform(0.6, 0.9);
      const double u = inner + s * length;
      const double a = (s - 0.62) / 0.62;
      const double y =
          id.brow_y + 0.012 * (1 - s) - id.brow_arch * (1 - a * a) + off * id.brow_thick * (1 - 0.65 * s * s);
      const double ang = -kPi / 2 + (kPi / 2 - 0.25) * std::min(1.0, s * 2.5);
      const double len = 0.035;
      stroke(b, {view.px(side * u, y, 0.55), view.px(side * (u + len * std::cos(ang)), y + len * std::sin(ang), 0.55)},
             scaled(id.brows, shade), 1);
    }
  });
}

void draw_nose(Canvas& c, const FaceIdentity& id, const View& view) {
  const cv::Vec3f dark = scaled(id.skin, 0.3);
  for (double side : {-1.0, 1.0}) {
    fill_alpha(c, ellipse(view, side * 0.05, id.nose_y + 0.06, 0.03, 0.013, side * 0.35, 0.85), dark, 0.6);
    Poly wing;  // the crease around the nostril wing
    for (int i = 0; i <= 8; ++i) {
      const double t = -1.2 + 2.3 * i / 8;
      wing.push_back(
          view.px(side * (id.nose_w * 0.72 + 0.05 * std::cos(t)), id.nose_y + 0.03 - 0.055 * std::sin(t), 0.8));
    }
    stroke_alpha(c, wing, scaled(id.skin, 0.5), std::max(1.0, 0.012 * view.R), 0.35);
  }
}

void draw_mouth(Canvas& c, const FaceIdentity& id, const View& view, const Mouth& m) {
  const std::size_t n = m.x.size();
  const double z = 0.75;
  const auto curve = [&](const std::vector<double>& ys) {
    Poly p;
    for (std::size_t i = 0; i < n; ++i) p.push_back(view.px(m.x[i], ys[i], z));
    return p;
  };
  const Poly ui = curve(m.upper_inner), li = curve(m.lower_inner);
  Poly cavity = ui;
  cavity.insert(cavity.end(), li.rbegin(), li.rend());
  const double open_px = (m.lower_inner[n / 2] - m.upper_inner[n / 2]) * view.R;
  if (open_px > 0.4) {
    clipped(c, cavity, 1, [&](Canvas& e) {
      fill(e, cavity, cv::Vec3f(12, 10, 28));
      // tongue: low in the cavity, behind the lower teeth
      fill(e, ellipse(view, 0, m.lower_inner[n / 2] + 0.01, 0.65 * m.inner_w, 0.05, 0, z - 0.05),
           scaled(mix(id.lips, cv::Vec3f(110, 110, 200), 0.3), 0.55));
      // teeth, one by one, darker toward the corners where they turn away from the light
      for (int row = 0; row < 2; ++row) {
        const auto& edge = row == 0 ? m.upper_teeth : m.lower_teeth;
        const double tooth_h = row == 0 ? 0.12 : 0.1;
        for (int t = -4; t < 4; ++t) {
          const double x0 = t * 0.05 + 0.003, x1 = (t + 1) * 0.05 - 0.003;
          if (std::abs(x0) > m.inner_w && std::abs(x1) > m.inner_w) continue;
          Poly tooth;
          for (int k = 0; k <= 4; ++k) {
            const double x = x0 + (x1 - x0) * k / 4;
            const auto idx = static_cast<std::size_t>(std::lower_bound(m.x.begin(), m.x.end(), x) - m.x.begin());
            const double y = edge[std::min(idx, n - 1)];
            tooth.push_back(view.px(x, y + (row == 0 ? -0.004 * (k == 0 || k == 4) : 0.004 * (k == 0 || k == 4)), z));
          }
          tooth.push_back(view.px(x1, edge[n / 2] + (row == 0 ? -tooth_h : tooth_h), z));
          tooth.push_back(view.px(x0, edge[n / 2] + (row == 0 ? -tooth_h : tooth_h), z));
          const double centre = std::abs(x0 + x1) / 2 / std::max(m.inner_w, 1e-3);
          fill(e, tooth, scaled(id.teeth, (row == 0 ? 0.85 : 0.55) * (1 - 0.55 * std::min(1.0, centre * centre))));
        }
      }
      // the upper lip's shadow on the teeth
      stroke_alpha(e, ui, cv::Vec3f(30, 25, 45), std::max(1.0, 0.02 * view.R), 0.5);
    });
  }
  Poly upper = curve(m.upper_outer), lower = li;
  upper.insert(upper.end(), ui.rbegin(), ui.rend());
  const Poly lo = curve(m.lower_outer);
  lower.insert(lower.end(), lo.rbegin(), lo.rend());
  fill(c, upper, scaled(id.lips, 0.88));
  fill(c, lower, id.lips);
  // sheen on the lower lip, and the dark line where the lips meet
  fill_alpha(c,
             ellipse(view, 0.02, (m.lower_inner[n / 2] + m.lower_outer[n / 2]) / 2 - 0.006, 0.45 * m.half_w,
                     0.22 * (m.lower_outer[n / 2] - m.lower_inner[n / 2]), 0, z),
             mix(id.lips, cv::Vec3f(255, 255, 255), 0.35), 0.3);
  stroke_alpha(c, ui, scaled(id.lips, 0.35), std::max(1.0, 0.014 * view.R), open_px > 2 ? 0.35 : 0.8);
}

// The hair mass as an ellipse around the skull: centre y, half axes.
struct HairShape {
  double cv, a, b;
};

HairShape hair_shape(const FaceIdentity& id) {
  return {-0.15, id.face_width * 1.03 + id.hair_volume, 1.07 + 1.2 * id.hair_volume};
}

Poly hair_arc(const View& view, const HairShape& h, double from, double to, int n) {
  Poly p;
  for (int i = 0; i <= n; ++i) {
    const double t = from + (to - from) * i / n;
    p.push_back(view.px(h.a * std::cos(t), h.cv + h.b * std::sin(t)));
  }
  return p;
}

// The hairline across the forehead, from the right temple to the left.
Poly hairline(const FaceIdentity& id, const View& view) {
  Poly p;
  const double w = id.face_width;
  const int n = 24;
  Rng r(id.seed * 13 + 5);
  for (int i = 0; i <= n; ++i) {
    const double s = 1 - 2.0 * i / n;  // +1 right temple .. -1 left temple
    double y = id.hairline + (-0.32 - id.hairline) * std::pow(std::abs(s), 4);
    if (id.hair_style == HairStyle::SidePart) y += 0.1 * (s + 1) * (1 - s * s);
    if (id.hair_style == HairStyle::Fringe) y += r.uniform(-0.02, 0.03);
    p.push_back(view.px(0.9 * w * s, y, 0.3 * (1 - s * s)));
  }
  return p;
}

void draw_strands(Canvas& c, const FaceIdentity& id, const View& view, const HairShape& h, int count) {
  Rng r(id.seed * 17 + 11);
  const double part = id.hair_style == HairStyle::SidePart ? 0.35 * id.face_width : 0.0;
  translucent(c, cv::Rect(0, 0, c.img.cols, c.img.rows), 0.6, [&](Canvas& s) {
    for (int i = 0; i < count; ++i) {
      const double u = r.uniform(-h.a, h.a), v = r.uniform(h.cv - h.b, id.hair_style == HairStyle::Long ? 1.9 : 0.3);
      double du = u - part, dv = v - (h.cv - h.b - 0.1);
      if (id.hair_style == HairStyle::Fringe && v > id.hairline - 0.3) du *= 0.2;
      const double len = r.uniform(0.1, 0.3) / std::max(1e-6, std::hypot(du, dv));
      const double bend = r.uniform(-0.05, 0.05), shade = r.uniform(0.55, 1.5);
      stroke(
          s,
          {view.px(u, v), view.px(u + 0.5 * du * len + bend, v + 0.5 * dv * len), view.px(u + du * len, v + dv * len)},
          scaled(id.hair, shade), 1);
    }
  });
}

// --- Background -------------------------------------------------------------------------

cv::Mat background(const FaceIdentity& id, cv::Size size) {
  Rng r(id.seed * 7 + 1);
  const int w = 64, h = 48;
  cv::Mat low(h, w, CV_32FC3);
  const double tilt = r.uniform(-0.5, 0.5);
  struct Blob {
    double x, y, r2, alpha;
    cv::Vec3f colour;
  };
  std::vector<Blob> blobs(3 + r.pick(5));
  for (auto& b : blobs) {
    const double rad = r.uniform(3, 14);
    b = {r.uniform(0, w), r.uniform(0, h), rad * rad, r.uniform(0.3, 0.8),
         mix(id.background_accent, id.background_top, r.uniform(0, 0.7))};
  }
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const double t = clamp01(static_cast<double>(y) / (h - 1) + tilt * (static_cast<double>(x) / (w - 1) - 0.5));
      cv::Vec3f c = mix(id.background_top, id.background_bottom, t);
      for (const auto& b : blobs) {
        const double d2 = (x - b.x) * (x - b.x) + (y - b.y) * (y - b.y);
        c = mix(c, b.colour, b.alpha * std::exp(-d2 / b.r2));
      }
      const double vx = static_cast<double>(x) / (w - 1) - 0.5, vy = static_cast<double>(y) / (h - 1) - 0.5;
      low.at<cv::Vec3f>(y, x) = scaled(c, 1 - 0.5 * (vx * vx + vy * vy));
    }
  // furniture, shelves, frames: out of focus once scaled up
  const int objects = r.pick(6);
  for (int i = 0; i < objects; ++i) {
    const int x = r.pick(w), y = r.pick(h), ow = 3 + r.pick(16), oh = 3 + r.pick(20);
    const double shade = r.uniform(0.5, 1.2), accent = r.uniform();
    cv::rectangle(low, cv::Rect(x, y, ow, oh),
                  scalar(scaled(mix(id.background_top, id.background_accent, accent), shade)), cv::FILLED);
  }
  cv::Mat low8, out;
  low.convertTo(low8, CV_8UC3);
  cv::resize(low8, out, size, 0, 0, cv::INTER_LINEAR);
  // a door frame or shelf edge: real rooms have straight edges
  const int edges = r.pick(3);
  for (int i = 0; i < edges; ++i) {
    const bool vertical = r.pick(2) == 0;
    const double at = r.pick(2) == 0 ? r.uniform(0.03, 0.22) : r.uniform(0.78, 0.97);
    const cv::Vec3f colour = scaled(mix(id.background_top, id.background_bottom, 0.5), r.uniform(0.6, 1.3));
    const int thick = 2 + r.pick(6);
    if (vertical) {
      const int x = static_cast<int>(at * size.width);
      cv::line(out, {x, 0}, {x, size.height}, scalar(colour), thick, cv::LINE_AA);
    } else {
      const int y = static_cast<int>(at * size.height * 0.6);
      cv::line(out, {0, y}, {size.width, y}, scalar(colour), thick, cv::LINE_AA);
    }
  }
  return out;
}

void check_finite(double v, const char* what) {
  if (!std::isfinite(v)) throw InvalidArgument(std::string("render_face: ") + what + " is not finite");
}

}  // namespace

FaceIdentity FaceIdentity::random(std::uint64_t seed) {
  Rng r(seed * 0x2545F4914F6CDD1Dull + 0x632BE59BD9B4E019ull);
  FaceIdentity id;
  id.seed = seed;
  id.face_height = r.uniform(0.44, 0.56);
  id.center_x = r.uniform(0.42, 0.58);
  id.center_y = r.uniform(0.42, 0.49);
  id.face_width = r.uniform(0.72, 0.86);
  id.jaw_square = r.uniform(2.0, 2.8);
  id.chin_taper = r.uniform(0.05, 0.28);
  id.eye_x = id.face_width * r.uniform(0.43, 0.48);
  id.eye_y = r.uniform(-0.16, -0.08);
  id.eye_w = r.uniform(0.125, 0.15);
  id.eye_h = r.uniform(0.045, 0.062);
  id.eye_tilt = r.uniform(-0.06, 0.16);
  id.brow_y = id.eye_y - r.uniform(0.15, 0.2);
  id.brow_arch = r.uniform(0.015, 0.05);
  id.brow_thick = r.uniform(0.03, 0.055);
  id.nose_y = r.uniform(0.26, 0.33);
  id.nose_w = r.uniform(0.12, 0.17);
  id.mouth_y = id.nose_y + r.uniform(0.24, 0.29);
  id.mouth_w = r.uniform(0.22, 0.27);
  id.upper_lip = r.uniform(0.04, 0.07);
  id.lower_lip = r.uniform(0.06, 0.095);
  id.mouth_corner = r.uniform(-0.012, 0.018);
  id.neck_w = id.face_width * r.uniform(0.55, 0.66);

  // Skin: very light to very deep, then a warmer or cooler undertone.
  const std::vector<cv::Vec3f> skins{rgb(247, 227, 211), rgb(240, 210, 186), rgb(228, 190, 160), rgb(210, 166, 130),
                                     rgb(188, 142, 106), rgb(162, 116, 84),  rgb(136, 92, 64),   rgb(108, 70, 50),
                                     rgb(82, 54, 40),    rgb(62, 42, 34)};
  const double tone = r.uniform(0, skins.size() - 1);
  cv::Vec3f skin = palette(skins, tone);
  skin[2] *= static_cast<float>(r.uniform(0.97, 1.03));
  skin[0] *= static_cast<float>(r.uniform(0.92, 1.06));
  id.skin = skin;
  // Lips: darker and redder than the skin; on deep skin relatively lighter and warmer.
  const float deep = static_cast<float>(1 - luminance(skin) / 255);
  id.lips = (cv::Vec3f(skin[0] * 0.75f, skin[1] * 0.64f, skin[2] * 0.9f) + cv::Vec3f(12, 6, 40) * deep) *
            static_cast<float>(r.uniform(0.85, 1.0));
  id.teeth = scaled(rgb(236, 230, 212), r.uniform(0.85, 1.0));
  id.sclera = scaled(rgb(236, 232, 226), r.uniform(0.88, 1.0));

  const std::vector<cv::Vec3f> irises{rgb(58, 36, 24),  rgb(96, 62, 36),   rgb(118, 98, 52),
                                      rgb(84, 112, 72), rgb(72, 112, 150), rgb(112, 122, 128)};
  id.iris = irises[tone > 4 || r.uniform() < 0.45 ? r.pick(2) : r.pick(static_cast<int>(irises.size()))];

  const std::vector<cv::Vec3f> hairs{rgb(22, 20, 20),    rgb(48, 36, 28),  rgb(88, 62, 42),    rgb(130, 98, 66),
                                     rgb(196, 166, 118), rgb(128, 60, 34), rgb(150, 148, 146), rgb(200, 198, 194)};
  id.hair = hairs[tone > 4 && r.uniform() < 0.7 ? r.pick(2) : r.pick(static_cast<int>(hairs.size()))];
  id.brows = luminance(id.hair) > 110 ? mix(id.hair, scaled(id.hair, 0.45), 0.6) : id.hair;

  const std::array<HairStyle, 6> styles{HairStyle::Shaved, HairStyle::Short, HairStyle::SidePart,
                                        HairStyle::Fringe, HairStyle::Long,  HairStyle::Bun};
  id.hair_style = styles[r.pick(6)];
  id.hair_volume = id.hair_style == HairStyle::Shaved ? 0.0 : r.uniform(0.03, 0.14);
  id.hairline = id.hair_style == HairStyle::Fringe ? id.brow_y - r.uniform(0.1, 0.16) : r.uniform(-0.92, -0.74);

  id.clothes = random_colour(r, 20, 220);
  // Backgrounds of any colour, but kept apart from the skin's brightness: a face the camera
  // cannot separate from the wall is not a useful training sample.
  cv::Vec3f top = random_colour(r, 40, 230);
  const double gap = luminance(top) - luminance(skin);
  if (std::abs(gap) < 45) top = scaled(top, gap >= 0 && luminance(skin) < 180 ? 1.6 : 0.45);
  for (int c = 0; c < 3; ++c) top[c] = std::min(top[c], 245.f);
  id.background_top = top;
  id.background_bottom = scaled(top, r.uniform(0.55, 0.95));
  id.background_accent = random_colour(r, 30, 255);

  const double lx = r.uniform(-0.7, 0.7);
  id.light = cv::Vec3f(static_cast<float>(lx), static_cast<float>(r.uniform(-0.7, 0.1)), 1.f);
  id.ambient = r.uniform(0.38, 0.55);
  id.specular = r.uniform(0.04, 0.16);
  id.stubble = r.uniform() < 0.25 ? r.uniform(0.3, 1.0) : 0.0;
  if (r.uniform() < 0.2) {  // lipstick
    const std::vector<cv::Vec3f> shades{rgb(170, 30, 45), rgb(200, 90, 110), rgb(120, 40, 60), rgb(180, 100, 90)};
    id.lips = mix(id.lips, shades[r.pick(static_cast<int>(shades.size()))], r.uniform(0.3, 0.6));
  }
  return id;
}

cv::Mat render_face(const FaceIdentity& id, const HeadPose& pose, const MouthShape& mouth, cv::Size frame_size) {
  if (frame_size.width < 32 || frame_size.height < 32)
    throw InvalidArgument("render_face: frame size " + std::to_string(frame_size.width) + "x" +
                          std::to_string(frame_size.height) + " is under 32x32");
  for (double v : {pose.yaw, pose.pitch, pose.roll, pose.dx, pose.dy, pose.scale, pose.blink})
    check_finite(v, "head pose");
  for (double v : {mouth.open, mouth.spread, mouth.lip_contact, mouth.lower_lip_tuck}) check_finite(v, "mouth shape");
  if (pose.scale <= 0)
    throw InvalidArgument("render_face: head pose scale " + std::to_string(pose.scale) + " is not positive");

  const View view(id, pose, frame_size);
  const Light light{cv::normalize(view.to_face(cv::Vec3d(id.light[0], id.light[1], id.light[2]))), id.ambient};
  cv::Mat frame = background(id, frame_size);
  const Mouth m = mouth_geometry(id, mouth);

  Texture tex{cv::Mat(), cv::Point(cvRound(view.cx), cvRound(view.cy))};
  {
    cv::Mat noise(kTile, kTile, CV_32F), wrapped, blurred;
    cv::RNG(id.seed * 0x9E3779B97F4A7C15ull + 3).fill(noise, cv::RNG::NORMAL, 0, 2);
    cv::copyMakeBorder(noise, wrapped, 2, 2, 2, 2, cv::BORDER_WRAP);  // seamless tiling
    cv::GaussianBlur(wrapped, blurred, cv::Size(3, 3), 0.8);
    tex.tile = blurred(cv::Rect(2, 2, kTile, kTile)).clone();
  }
  std::array<float, 64> blotches{};
  {
    Rng r(id.seed * 19 + 2);
    for (auto& b : blotches) b = static_cast<float>(r.uniform(-0.05, 0.05));
  }

  const double w = id.face_width, nw = id.neck_w;
  const HairShape hs = hair_shape(id);
  const bool has_hair = id.hair_style != HairStyle::Shaved;
  const auto pts = [&](std::initializer_list<std::array<double, 2>> uv) {
    Poly p;
    for (const auto& q : uv) p.push_back(view.px(q[0], q[1]));
    return p;
  };

  // Long hair falls behind the shoulders.
  if (id.hair_style == HairStyle::Long) {
    Poly drape = hair_arc(view, hs, kPi, 2 * kPi, 24);
    for (const auto& q : pts({{hs.a + 0.12, 0.5},
                              {hs.a + 0.1, 1.5},
                              {hs.a - 0.05, 1.8},
                              {-hs.a + 0.05, 1.8},
                              {-hs.a - 0.1, 1.5},
                              {-hs.a - 0.12, 0.5}}))
      drape.push_back(q);
    Layer l = make_layer(frame_size, drape, id.hair);
    if (!l.empty()) draw_strands(l.albedo, id, view, hs, static_cast<int>(2 * view.R));
    Surface s;
    s.cu = 0, s.cv = 0.6, s.a = hs.a + 0.15, s.b = 1.6, s.depth = 0.6, s.specular = 0.1, s.shininess = 20;
    draw_layer(frame, l, view, s, light, tex, 0.08f);
  }
  // Clothes, with a round neckline the neck fills.
  Poly neckline;
  for (int i = 0; i <= 12; ++i) {
    const double s = -1 + 2.0 * i / 12;
    neckline.push_back(view.px(1.3 * nw * s, 1.38 + 0.22 * std::sqrt(std::max(0.0, 1 - s * s))));
  }
  {
    Poly body = pts({{-3.2, 4.0}, {-3.0, 2.05}, {-2.1, 1.66}, {-1.1, 1.44}});
    body.insert(body.end(), neckline.begin(), neckline.end());
    for (const auto& q : pts({{1.1, 1.44}, {2.1, 1.66}, {3.0, 2.05}, {3.2, 4.0}})) body.push_back(q);
    Surface s;
    s.cu = 0, s.cv = 2.8, s.a = 3.2, s.b = 1.6, s.depth = 0.6;
    draw_layer(frame, make_layer(frame_size, body, id.clothes), view, s, light, tex, 0.03f);
  }
  // Neck, darkest under the chin.
  {
    Poly neck = pts({{-nw, 0.2}, {-nw * 1.05, 1.1}});
    neck.insert(neck.end(), neckline.begin(), neckline.end());
    for (const auto& q : pts({{nw * 1.05, 1.1}, {nw, 0.2}})) neck.push_back(q);
    Surface s;
    s.cu = 0, s.cv = 1.0, s.a = nw * 1.15, s.b = 4, s.depth = 0.5, s.skin = true;
    s.shadows.push_back({{0, 1.0 + m.jaw, 0.55, 0.25}, 0.6});
    draw_layer(frame, make_layer(frame_size, neck, scaled(id.skin, 0.95)), view, s, light, tex, 0.03f);
  }
  // Hair behind the head.
  if (has_hair) {
    // a band around the face: the face and the front hair cover the rest
    Poly cap = hair_arc(view, hs, kPi, 2 * kPi, 32);
    for (const auto& q : pts({{hs.a * 0.98, 0.05}, {hs.a * 0.9, 0.22}, {w * 0.8, 0.22}})) cap.push_back(q);
    const Poly inner = hair_arc(view, {hs.cv, w * 0.88, 0.88}, 2 * kPi + 0.45, kPi - 0.45, 24);
    cap.insert(cap.end(), inner.begin(), inner.end());
    for (const auto& q : pts({{-w * 0.8, 0.22}, {-hs.a * 0.9, 0.22}, {-hs.a * 0.98, 0.05}})) cap.push_back(q);
    if (id.hair_style == HairStyle::Bun) {
      const Poly bun = ellipse(view, 0, hs.cv - hs.b - 0.12, 0.28, 0.22, 0, 0, 32);
      Layer l = make_layer(frame_size, bun, id.hair);
      if (!l.empty()) draw_strands(l.albedo, id, view, hs, static_cast<int>(view.R / 2));
      Surface s;
      s.cu = 0, s.cv = hs.cv - hs.b - 0.12, s.a = 0.3, s.b = 0.24, s.specular = 0.1, s.shininess = 20;
      draw_layer(frame, l, view, s, light, tex, 0.08f);
    }
    Surface s;
    s.cu = 0, s.cv = hs.cv, s.a = hs.a * 1.02, s.b = hs.b * 1.02, s.depth = 0.6, s.specular = 0.05;
    draw_layer(frame, make_layer(frame_size, cap, scaled(id.hair, 0.7)), view, s, light, tex, 0.08f);
  }
  // Ears (hidden under long hair).
  if (id.hair_style != HairStyle::Long) {
    for (double side : {-1.0, 1.0}) {
      const Poly ear = ellipse(view, side * (w + 0.02), 0.04, 0.085, 0.19, side * 0.15, -0.2);
      Layer l = make_layer(frame_size, ear, id.skin);
      if (l.empty()) continue;
      stroke_alpha(l.albedo, ellipse(view, side * (w + 0.03), 0.05, 0.04, 0.11, side * 0.15, -0.2),
                   scaled(id.skin, 0.5), std::max(1.0, 0.02 * view.R), 0.5);
      Surface s;
      s.cu = side * (w + 0.02), s.cv = 0.04, s.a = 0.1, s.b = 0.22, s.depth = 0.3, s.skin = true;
      s.shadows.push_back({{side * w * 0.95, 0.04, 0.05, 0.2}, 0.35});
      draw_layer(frame, l, view, s, light, tex, 0.03f);
    }
  }
  // The face: features drawn on the albedo, then everything lit together.
  std::vector<std::pair<cv::Point2f, float>> catchlights;
  {
    Layer l = make_layer(frame_size, face_outline(id, view, m.jaw), id.skin);
    if (!l.empty()) {
      for (double side : {-1.0, 1.0}) {
        draw_eye(l.albedo, id, view, side, pose.blink, light, catchlights);
        draw_brow(l.albedo, id, view, side);
      }
      draw_nose(l.albedo, id, view);
      draw_mouth(l.albedo, id, view, m);
      if (!has_hair) {  // stubble on a shaved scalp
        Poly scalp = hair_arc(view, {hs.cv, w * 1.02, 1.07}, kPi, 2 * kPi, 32);
        const Poly line = hairline(id, view);
        scalp.insert(scalp.end(), line.begin(), line.end());
        fill_alpha(l.albedo, scalp, id.hair, 0.25);
      }
    }
    Surface s;
    s.cu = 0, s.cv = 0.05, s.a = w * 1.04, s.b = 1.25 + 0.5 * m.jaw, s.depth = 0.8, s.cell = 24;
    s.skin = true, s.specular = id.specular, s.shininess = 10, s.blotches = &blotches;
    const auto at = [&](double u, double v, double z) { return view.shifted(u, v, z); };
    const auto bump = [&](double u, double v, double su, double sv, double height, double z) {
      const cv::Point2d c = at(u, v, z);
      s.bumps.push_back({{c.x, c.y, su, sv}, height});
    };
    const auto shadow = [&](double u, double v, double su, double sv, double depth, double z) {
      const cv::Point2d c = at(u, v, z);
      s.shadows.push_back({{c.x, c.y, su, sv}, depth});
    };
    const double mid = m.lower_inner[m.x.size() / 2];
    bump(0, (id.eye_y + id.nose_y) / 2, 0.08, 0.45 * (id.nose_y - id.eye_y), 0.05, 0.8);
    bump(0, id.nose_y, 0.065, 0.055, 0.13, 1.0);
    bump(0, 0.75 * id.mouth_y + 0.25 * id.nose_y, 0.2, 0.08, 0.05, 0.8);
    bump(0, mid + 0.5 * id.lower_lip, id.mouth_w * 0.7, 0.06, 0.04, 0.7);
    bump(0, 0.88 + m.jaw, 0.17, 0.1, 0.07, 0.6);
    bump(0, mid + id.lower_lip + 0.05, 0.13, 0.03, -0.02, 0.6);
    for (double side : {-1.0, 1.0}) {
      bump(side * id.nose_w * 0.75, id.nose_y + 0.04, 0.045, 0.04, 0.05, 0.85);
      bump(side * id.eye_x, id.brow_y + 0.04, 0.16, 0.06, 0.05, 0.6);
      bump(side * id.eye_x, id.eye_y, 0.13, 0.08, -0.05, 0.5);
      bump(side * (id.eye_x + 0.06), id.eye_y + 0.26, 0.14, 0.12, 0.06, 0.5);
      shadow(side * (id.eye_x - id.eye_w), id.eye_y, 0.05, 0.05, 0.18, 0.5);
      shadow(side * m.half_w * 1.02, id.mouth_y, 0.03, 0.03, 0.25, 0.7);
      const cv::Point2d cheek = at(side * 0.4, 0.2, 0.5);
      s.tints.push_back({{cheek.x, cheek.y, 0.13, 0.1}, cv::Vec3f(0.95f, 0.93f, 1.02f)});
    }
    if (id.stubble > 0) {  // hair roots under the skin: toward the hair colour, darker
      cv::Vec3f gain;
      for (int c = 0; c < 3; ++c)
        gain[c] = static_cast<float>(
            std::clamp(1 + (0.6 * id.hair[c] / std::max(id.skin[c], 1.f) - 1) * 0.45 * id.stubble, 0.4, 1.0));
      for (const auto& [u, v, su, sv] :
           std::vector<std::array<double, 4>>{{0, 0.92 + m.jaw, 0.45, 0.2},
                                              {0, id.mouth_y - id.upper_lip - 0.05, 0.18, 0.035},
                                              {-0.5, 0.55 + 0.5 * m.jaw, 0.14, 0.22},
                                              {0.5, 0.55 + 0.5 * m.jaw, 0.14, 0.22}}) {
        const cv::Point2d c = at(u, v, 0.6);
        s.tints.push_back({{c.x, c.y, su, sv}, gain});
      }
    }
    shadow(0, id.nose_y + 0.085, 0.07, 0.025, 0.15, 0.9);
    shadow(0, mid + id.lower_lip + 0.03, 0.12, 0.025, 0.15, 0.7);
    draw_layer(frame, l, view, s, light, tex, 0.025f);
  }
  for (const auto& [p, r] : catchlights)
    cv::circle(frame, cv::Point(cvRound(p.x * 16), cvRound(p.y * 16)), cvRound(r * 16), cv::Scalar(245, 245, 245),
               cv::FILLED, cv::LINE_AA, kShift);
  // Hair over the forehead and temples.
  if (has_hair) {
    const double sb = 0.08;  // sideburns reach down in front of the ears
    Poly front = hair_arc(view, hs, kPi, 2 * kPi, 40);
    for (const auto& q : pts({{w * 1.01, sb}, {w * 0.9, sb}})) front.push_back(q);
    const Poly line = hairline(id, view);
    front.insert(front.end(), line.begin(), line.end());
    for (const auto& q : pts({{-w * 0.9, sb}, {-w * 1.01, sb}})) front.push_back(q);
    Layer l = make_layer(frame_size, front, id.hair);
    if (!l.empty()) draw_strands(l.albedo, id, view, hs, static_cast<int>(3 * view.R));
    Surface s;
    s.cu = 0, s.cv = hs.cv, s.a = hs.a, s.b = hs.b, s.depth = 0.7, s.specular = 0.12, s.shininess = 18, s.cell = 16;
    s.shadows.push_back({{0, id.hairline, 0.8, 0.05}, 0.1});
    draw_layer(frame, l, view, s, light, tex, 0.08f);
  }
  // A camera exposes for the face: deep skin is not left in the bottom of the range, where
  // the lips and the mouth would differ by a few grey levels only.
  const double exposure = std::clamp(75 / luminance(id.skin), 1.0, 1.6);
  if (exposure > 1.01) frame.convertTo(frame, CV_8U, exposure);
  return frame;
}

}  // namespace dubkit
