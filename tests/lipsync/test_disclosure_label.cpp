// The on-screen disclosure: drawn in the bottom-left corner, legible (white on dark), sized to
// the frame, and nothing outside its box changes.
#include <catch2/catch.hpp>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "lipsync/disclosure_label.hpp"

using namespace dubkit;

namespace {

// The box around every pixel the label changed on a noisy frame of `size`.
cv::Rect label_box(cv::Size size, const std::string& text, cv::Mat* labelled = nullptr) {
  cv::Mat frame(size, CV_8UC3);
  cv::randu(frame, cv::Scalar::all(60), cv::Scalar::all(200));  // neither the box's dark nor the text's white
  cv::Mat out = frame.clone();
  draw_disclosure_label(out, text);
  cv::Mat diff, changed;
  cv::absdiff(frame, out, diff);
  cv::cvtColor(diff, changed, cv::COLOR_BGR2GRAY);
  if (labelled) *labelled = out;
  return cv::boundingRect(changed);
}

}  // namespace

TEST_CASE("disclosure label: bottom left, white on dark, the rest untouched", "[lipsync][label]") {
  cv::Mat out;
  const cv::Rect box = label_box({640, 360}, "AI-modified video", &out);
  REQUIRE(box.area() > 0);
  // In the bottom-left corner: every changed pixel is in the box, the box within the frame's
  // bottom-left quarter.
  CHECK(box.x >= 0);
  CHECK(box.x < 640 / 20);
  CHECK(box.br().y <= 360);
  CHECK(box.br().y > 360 - 360 / 20);
  CHECK(box.y > 360 / 2);
  CHECK(box.br().x < 640 / 2);
  // Inside: the dark box (20) and the white text (anti-aliased: a 1-pixel stroke at this size
  // may not reach 255 anywhere).
  const cv::Mat inside = out(box);
  double lo = 0, hi = 0;
  cv::minMaxLoc(inside.reshape(1), &lo, &hi);
  CHECK(lo <= 20);
  CHECK(hi >= 240);
}

TEST_CASE("disclosure label: sized to the frame's height", "[lipsync][label]") {
  const cv::Rect small = label_box({640, 360}, "AI-modified video");
  const cv::Rect large = label_box({1920, 1080}, "AI-modified video");
  // The text scale is height / 900 above 0.35 (360 / 900 = 0.4, 1080 / 900 = 1.2): three times.
  CHECK(double(large.height) / small.height == Approx(3.0).epsilon(0.25));
  CHECK(double(large.width) / small.width == Approx(3.0).epsilon(0.25));
}
