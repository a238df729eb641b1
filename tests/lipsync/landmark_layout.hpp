// A face's 68 landmarks laid out by hand (dlib/iBUG order, faces/landmarks.hpp) for the lipsync
// stage tests that need a face's geometry but not a face detector: brow-to-chin height `height`
// pixels, centred on `centre`, inner lips `gap` pixels apart.
#pragma once

#include <cmath>

#include "faces/landmarks.hpp"

namespace dubkit::test {

inline Landmarks landmark_layout(cv::Point2f centre, float height, float gap) {
  Landmarks l;
  const float s = height, cx = centre.x, cy = centre.y;
  auto at = [&](float dx, float dy) { return cv::Point2f(cx + dx * s, cy + dy * s); };
  for (int i = 0; i <= 16; ++i) {  // jaw: half an ellipse from ear to ear through the chin (8)
    const double a = M_PI - M_PI * i / 16;
    l[i] = at(static_cast<float>(0.45 * std::cos(a)), static_cast<float>(-0.15 + 0.65 * std::sin(a)));
  }
  for (int i = 0; i < 5; ++i) {  // brows: their centres (19, 24) half a height above the centre
    l[17 + i] = at(-0.40f + 0.08f * i, -0.5f);
    l[22 + i] = at(0.08f + 0.08f * i, -0.5f);
  }
  for (int i = 0; i < 4; ++i) l[27 + i] = at(0, -0.40f + 0.117f * i);  // nose bridge
  for (int i = 0; i < 5; ++i) l[31 + i] = at(-0.10f + 0.05f * i, 0);   // under the nose
  for (int i = 0; i < 6; ++i) {  // eyes
    const double a = 2 * M_PI * i / 6;
    const float dx = static_cast<float>(0.07 * std::cos(a)), dy = static_cast<float>(-0.03 * std::sin(a));
    l[36 + i] = at(-0.22f + dx, -0.35f + dy);
    l[42 + i] = at(0.22f + dx, -0.35f + dy);
  }
  const float half = 0.5f * gap / s;
  for (int i = 0; i < 12; ++i) {  // outer lips around the inner ones
    const double a = 2 * M_PI * i / 12;
    l[48 + i] = at(static_cast<float>(-0.18 * std::cos(a)), static_cast<float>(0.2 - (0.06 + half) * std::sin(a)));
  }
  l[60] = at(-0.12f, 0.2f);
  l[64] = at(0.12f, 0.2f);
  for (int i = 0; i < 3; ++i) {
    l[61 + i] = at(-0.06f + 0.06f * i, 0.2f - half);  // upper: 61 62 63
    l[67 - i] = at(-0.06f + 0.06f * i, 0.2f + half);  // lower: 67 66 65, under 61 62 63
  }
  return l;
}

}  // namespace dubkit::test
