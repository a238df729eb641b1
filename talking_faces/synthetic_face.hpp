// Procedural synthetic talking faces: training and test material for the lip-sync network with
// no real person in it. A seed draws an identity (face shape, skin tone, eyes, brows, nose, lips,
// hair, clothes, background, light); a frame is rendered from an identity, a head pose and a
// mouth shape with OpenCV drawing only: anti-aliased polygons, analytic shading from a height
// field (soft shadows on the cheeks, beside the nose, under the chin), a skin texture that is
// fixed per identity so it moves with the face instead of flickering.
// The mouth carries the signal the network learns, so it gets the most care: `open` drops the
// jaw (the chin and lower lip move, not only the lip gap), the cavity is dark, the upper teeth
// show when open, the lower teeth when wide, the tongue sits behind them; dlib's 68-point model
// follows it (inner-lip gap measured in tests/talking_faces/test_synthetic_face.cpp).
//
// The renderer by role: synthetic_identity.cpp (the distribution over identities),
// synthetic_drawing.* (view and drawing primitives), synthetic_shading.* (lit layers),
// synthetic_features.* (outline, eyes, brows, nose, hair), synthetic_mouth.* (lips, teeth, jaw),
// synthetic_face.cpp (the room and the order the layers are drawn in).
#pragma once

#include <cstdint>
#include <opencv2/core.hpp>

namespace dubkit {

// One articulatory target or the state of the mouth at one instant. Values outside the ranges
// are clamped by the renderer; NaN is refused.
struct MouthShape {
  double open = 0;            // 0 closed .. 1 wide open (jaw and lips)
  double spread = 0;          // -1 rounded (oo) .. +1 spread (ee)
  double lip_contact = 0;     // 1: lips pressed together (m, b, p), whatever `open` says
  double lower_lip_tuck = 0;  // 1: lower lip drawn under the upper teeth (f, v)
};

// Small head motion. Yaw and pitch are approximated by shifting each feature by its depth
// (fine for the few degrees of a speaker facing the camera); roll is a true rotation.
struct HeadPose {
  double yaw = 0, pitch = 0, roll = 0;  // degrees; yaw > 0 turns the nose to the image right,
                                        // pitch > 0 lifts it, roll > 0 turns clockwise
  double dx = 0, dy = 0;                // pixels, added to the identity's face position
  double scale = 1;                     // multiplies the identity's face size
  double blink = 0;                     // 0 eyes open .. 1 closed
};

enum class HairStyle { Shaved, Short, SidePart, Fringe, Long, Bun };

// Everything that makes one synthetic person and their room. Lengths are in units of half the
// face height (top of the scalp ~ -1.2, chin +1), relative to the face centre, x to the image
// right, y down. Colours are BGR in 0..255. All fields are plain data: an identity can be
// edited or built by hand; random() is one distribution over them.
struct FaceIdentity {
  std::uint64_t seed = 0;  // also seeds the skin texture, blotches and hair strands

  // Placement: forehead-to-chin height (y = -1 .. +1, two units) as a fraction of the frame
  // height; the face centre (y = 0, between the eyes and the nose tip) as fractions of the
  // frame width and height.
  double face_height = 0.5;
  double center_x = 0.5, center_y = 0.45;

  // Shape.
  double face_width = 0.74;            // half width at the cheekbones
  double jaw_square = 2.3;             // superellipse exponent of the lower face: 2 round .. 3 square
  double chin_taper = 0.15;            // narrowing of the lower face toward the chin
  double eye_x = 0.33, eye_y = -0.12;  // eye centres at (+-eye_x, eye_y)
  double eye_w = 0.14, eye_h = 0.055;  // half width, open half height
  double eye_tilt = 0;                 // outer corner raised by eye_tilt * eye_w
  double brow_y = -0.3, brow_arch = 0.04, brow_thick = 0.045;
  double nose_y = 0.3;                        // nose tip
  double nose_w = 0.15;                       // half width of the nostril wings
  double mouth_y = 0.58, mouth_w = 0.25;      // mouth centre and half width at rest
  double upper_lip = 0.06, lower_lip = 0.08;  // lip heights at the middle
  double mouth_corner = 0;                    // corners lowered (> 0) or raised (< 0)
  double neck_w = 0.42;                       // half width of the neck

  HairStyle hair_style = HairStyle::Short;
  double hair_volume = 0.08;  // thickness of the hair over the scalp
  double hairline = -0.82;    // forehead top in the middle
  double stubble = 0;         // 0 clean-shaven .. 1 a dense stubble shadow on jaw and upper lip

  cv::Vec3f skin{150, 170, 210}, lips{110, 105, 175}, iris{40, 70, 100}, sclera{215, 222, 230};
  cv::Vec3f hair{30, 35, 45}, brows{35, 40, 50}, teeth{200, 220, 230}, clothes{120, 80, 60};
  cv::Vec3f background_top{180, 170, 160}, background_bottom{110, 100, 95}, background_accent{90, 140, 200};

  cv::Vec3f light{-0.4f, -0.5f, 1.f};  // toward the light: x right, y down, z toward the camera
  double ambient = 0.45;               // share of light that does not depend on the surface normal
  double specular = 0.12;              // strength of the skin's sheen

  // Deterministic: the same seed gives the same identity on every platform (no std
  // distributions). Skin tones span very light to very deep.
  static FaceIdentity random(std::uint64_t seed);
};

// A BGR CV_8UC3 frame of `frame_size` showing `id` with `pose` and `mouth`. Pure function of its
// arguments (same inputs, same pixels) and thread-safe; no sensor noise or compression, which
// belong to the training augmentation. Like a camera's auto exposure, frames of deep skin tones
// are brightened (up to 1.6x) so the face is not left at the bottom of the range. A 640x480
// frame with a 256-pixel face takes about 5 ms on one core. Throws InvalidArgument for frames
// under 32x32 pixels, a scale <= 0 or non-finite inputs.
cv::Mat render_face(const FaceIdentity& id, const HeadPose& pose, const MouthShape& mouth, cv::Size frame_size);

}  // namespace dubkit
