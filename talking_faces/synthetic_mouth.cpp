#include "talking_faces/synthetic_mouth.hpp"

#include <algorithm>
#include <cmath>

namespace dubkit::synthetic {

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

}  // namespace dubkit::synthetic
