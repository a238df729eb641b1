// Internal to the synthetic face renderer (talking_faces/synthetic_face.hpp): analytic shading.
// Each piece of the picture (face, neck, hair...) is a Layer whose albedo is drawn first, then lit
// as a Surface (an ellipsoid with bumps, occlusion and tints) by the identity's light, textured
// and blended into the frame through its anti-aliased outline.
#pragma once

#include <array>
#include <opencv2/core.hpp>
#include <vector>

#include "talking_faces/synthetic_drawing.hpp"

namespace dubkit::synthetic {

constexpr int kTile = 128;  // side of the per-identity skin texture tile (power of two)

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

// One shaded, textured piece of the picture (face, neck, hair...): its albedo is drawn first,
// then lit and blended into the frame through its anti-aliased outline.
struct Layer {
  cv::Rect roi;   // in the frame
  Canvas albedo;  // roi-sized
  cv::Mat mask;   // roi-sized coverage of the outline
  bool empty() const { return roi.empty(); }
};

// The layer of `outline` in a frame of `frame`, its albedo filled with `colour`; empty when the
// outline is outside the frame.
Layer make_layer(cv::Size frame, const Poly& outline, const cv::Vec3f& colour);

// A stable per-identity noise tile (zero mean, unit variance) anchored at the face centre, so
// texture moves with the head instead of crawling over it.
struct Texture {
  cv::Mat tile;  // kTile x kTile CV_32F
  cv::Point anchor;
};

// Lights the layer's albedo as the surface `s` under `light` (on a coarse grid: the shading is
// smooth), adds `grain` of the texture and blends it into `frame` through the layer's mask at
// `opacity`. Nothing for an empty layer.
void draw_layer(cv::Mat& frame, const Layer& l, const View& view, const Surface& s, const Light& light,
                const Texture& tex, float grain, double opacity = 1);

}  // namespace dubkit::synthetic
