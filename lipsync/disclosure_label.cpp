#include "lipsync/disclosure_label.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace dubkit {

void draw_disclosure_label(cv::Mat& frame, const std::string& text) {
  const double scale = std::max(0.35, frame.rows / 900.0);
  const int thickness = std::max(1, static_cast<int>(std::lround(scale * 1.5)));
  int baseline = 0;
  const cv::Size size = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, scale, thickness, &baseline);
  const int pad = std::max(2, size.height / 3);
  const cv::Point origin(pad * 2, frame.rows - pad * 2 - baseline);
  cv::rectangle(frame, cv::Rect(origin.x - pad, origin.y - size.height - pad, size.width + 2 * pad, size.height + baseline + 2 * pad),
                cv::Scalar(20, 20, 20), cv::FILLED);
  cv::putText(frame, text, origin, cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(255, 255, 255), thickness, cv::LINE_AA);
}

}  // namespace dubkit
