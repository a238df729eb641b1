// The on-screen disclosure of a re-rendered video: white text on a dark box at the bottom left,
// sized to the frame's height so that it stays legible when the video is scaled down.
#pragma once

#include <string>

#include <opencv2/core.hpp>

namespace dubkit {

// Draws `text` into `frame` (CV_8UC3) in place. Only the box, which lies in the frame's bottom
// left corner, changes; the rest of the frame is left untouched, bit for bit. A text wider than
// the frame is cut at its right edge.
void draw_disclosure_label(cv::Mat& frame, const std::string& text);

}  // namespace dubkit
