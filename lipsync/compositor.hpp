// Pasting a generated face crop back into its frame.
//
// The generator redraws the lower half of an aligned crop; only the mouth region of that redraw
// goes back into the frame. The region is a polygon in frame pixels that follows the face:
// the hull of the jaw line (landmarks 2..14) pushed out by `jaw_margin` of the face height and
// the line under the nose (31..35), cut across the face at `top` of the crop's height. Inside,
// a feathered weight (the polygon shrunk by three feather widths, then blurred) mixes the
// generated pixels in; outside the polygon the weight is exactly zero and the frame's pixels
// are left untouched, bit for bit.
//
// The margins are set so that the weight is full over the whole mouth of either face: a frame
// whose own mouth is open must not show its teeth or its lower chin through a generated closed
// mouth. The top edge therefore lies above the generator's masked half (which starts at 0.5, at
// the upper lip in this alignment): the feather falls on the nose base, where the generator
// reproduces its unmasked input. On a synthetic face drawn open with the same face drawn closed
// pasted in (tests/lipsync/test_compositor.cpp), dlib reads an inner-lip gap of 0.100 of the
// face height with the earlier margins (top at 0.5, jaw 0.08, feather 0.035), 0.011 with these.
//
// Before mixing, the generated pixels are colour-matched to the frame: per channel, their mean
// over the region's skin (outside the lip contour 48..59) is moved to the frame's. With
// `poisson`, OpenCV's seamless cloning (Pérez et al. 2003) blends instead, then the same zero
// weight outside the polygon is enforced.
//
// Thread safety: a pure function; call it from several threads on different frames.
#pragma once

#include <functional>

#include <opencv2/core.hpp>

#include "faces/alignment.hpp"
#include "faces/landmarks.hpp"

namespace dubkit {

struct CompositeOptions {
  double jaw_margin = 0.12;   // jaw line pushed out by this fraction of the face height (brow to chin)
  double top = 0.44;          // top edge, a fraction of the crop's height from its top (nose base: 0.46)
  double feather = 0.025;     // feather width as a fraction of the face height
  bool color_match = true;
  bool poisson = false;       // seamless cloning instead of feathered mixing
};

// Writes the composited frame into `frame` (CV_8UC3) in place and returns the region's mask
// (CV_8UC1, frame size; 255 inside the polygon, 0 outside; what may have changed).
// `generated`: CV_8UC3 crop of a.size x a.size. `landmarks`: the face in frame pixels.
cv::Mat composite_face(cv::Mat& frame, const cv::Mat& generated, const FaceAlignment& a, const Landmarks& landmarks,
                       const CompositeOptions& opts = {});

// Something done to a frame just composited, inside the region composite_face returned: the
// frame (written in place), that mask, the frame's time in seconds.
using FrameMark = std::function<void(cv::Mat& bgr, const cv::Mat& region, double pts)>;

// The region polygon alone (frame pixels), for previews and tests.
std::vector<cv::Point> mouth_region(const FaceAlignment& a, const Landmarks& landmarks, const CompositeOptions& opts,
                                    cv::Size frame_size);

}  // namespace dubkit
