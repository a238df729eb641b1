#include "talking_faces/synthetic_features.hpp"

#include <algorithm>
#include <cmath>

namespace dubkit::synthetic {

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

}  // namespace dubkit::synthetic
