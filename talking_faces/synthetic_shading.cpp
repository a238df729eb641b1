#include "talking_faces/synthetic_shading.hpp"

#include <algorithm>
#include <cmath>

namespace dubkit::synthetic {
namespace {

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

void compose(cv::Mat& frame, const Layer& l, const ShadeGrid& shade, const Texture& tex, float amount,
             double opacity) {
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

}  // namespace

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

void draw_layer(cv::Mat& frame, const Layer& l, const View& view, const Surface& s, const Light& light,
                const Texture& tex, float grain, double opacity) {
  if (l.empty()) return;
  compose(frame, l, shade_map(l.roi, view, s, light), tex, grain, opacity);
}

}  // namespace dubkit::synthetic
