// FaceIdentity::random: the one distribution over synthetic people and their rooms.
#include <array>
#include <cmath>
#include <vector>

#include "talking_faces/synthetic_drawing.hpp"
#include "talking_faces/synthetic_face.hpp"

namespace dubkit {

using namespace synthetic;  // the renderer's random numbers and colours

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

}  // namespace dubkit
