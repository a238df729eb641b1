#include "talking_faces/synthetic_face.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <initializer_list>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "talking_faces/synthetic_drawing.hpp"
#include "talking_faces/synthetic_features.hpp"
#include "talking_faces/synthetic_mouth.hpp"
#include "talking_faces/synthetic_shading.hpp"

namespace dubkit {

using namespace synthetic;  // the renderer's parts are this file's vocabulary

namespace {

// The room behind the person, fixed per identity: a gradient with soft blobs and out-of-focus
// furniture, and a few straight edges.
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
