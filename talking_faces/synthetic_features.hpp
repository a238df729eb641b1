// Internal to the synthetic face renderer (talking_faces/synthetic_face.hpp): the face's outline
// and its features other than the mouth (eyes, brows, nose, hair), in face coordinates through
// the head's view.
#pragma once

#include <utility>
#include <vector>

#include "talking_faces/synthetic_drawing.hpp"
#include "talking_faces/synthetic_face.hpp"
#include "talking_faces/synthetic_shading.hpp"

namespace dubkit::synthetic {

// The face outline with the jaw dropped by `jaw`.
Poly face_outline(const FaceIdentity& id, const View& view, double jaw);

// One eye (`side` -1 image left, +1 right) closed by `blink` in 0..1, on the face's albedo; the
// catchlight it should get once the face is lit (frame position, radius) is appended to
// `catchlights`.
void draw_eye(Canvas& c, const FaceIdentity& id, const View& view, double side, double blink, const Light& light,
              std::vector<std::pair<cv::Point2f, float>>& catchlights);
void draw_brow(Canvas& c, const FaceIdentity& id, const View& view, double side);
// Nostrils and the creases around the nostril wings (the nose's shape is shading).
void draw_nose(Canvas& c, const FaceIdentity& id, const View& view);

// The hair mass as an ellipse around the skull: centre y, half axes.
struct HairShape {
  double cv, a, b;
};

HairShape hair_shape(const FaceIdentity& id);
// Points of the hair ellipse `h` from angle `from` to `to` (radians), n + 1 of them.
Poly hair_arc(const View& view, const HairShape& h, double from, double to, int n);
// The hairline across the forehead, from the right temple to the left.
Poly hairline(const FaceIdentity& id, const View& view);
// `count` seeded strands of hair drawn onto `c` as one translucent batch.
void draw_strands(Canvas& c, const FaceIdentity& id, const View& view, const HairShape& h, int count);

}  // namespace dubkit::synthetic
