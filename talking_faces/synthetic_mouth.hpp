// Internal to the synthetic face renderer (talking_faces/synthetic_face.hpp): the mouth, the
// part that carries the signal the lip-sync network learns. A MouthShape becomes lip, teeth and
// jaw geometry in face coordinates, then a drawing on the face's albedo.
#pragma once

#include <vector>

#include "talking_faces/synthetic_drawing.hpp"
#include "talking_faces/synthetic_face.hpp"

namespace dubkit::synthetic {

// The mouth in face coordinates: four lip curves sampled at the same x positions.
struct Mouth {
  std::vector<double> x, upper_outer, upper_inner, lower_inner, lower_outer, upper_teeth, lower_teeth;
  double gap = 0;      // middle inner-lip gap
  double jaw = 0;      // how far the chin dropped
  double inner_w = 0;  // half width of the opening
  double half_w = 0;
};

// The geometry of `m` (clamped to its ranges) on the identity's mouth.
Mouth mouth_geometry(const FaceIdentity& id, const MouthShape& m);

// Draws the mouth onto `c`: the dark cavity with tongue and teeth where the lips part, the
// lips, their sheen and the line where they meet.
void draw_mouth(Canvas& c, const FaceIdentity& id, const View& view, const Mouth& m);

}  // namespace dubkit::synthetic
