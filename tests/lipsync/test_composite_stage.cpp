// CompositeStage: pastes the generated crop, or the silence gate's closed mouth by its weight,
// counts what changed, shows the caller each frame before the label, then draws the label.
// Faces are hand-laid landmarks on flat frames; colour matching is off so that the pasted
// colours can be read back.
#include <catch2/catch.hpp>

#include <opencv2/imgproc.hpp>

#include "faces/alignment.hpp"
#include "lipsync/composite_stage.hpp"
#include "lipsync/landmark_layout.hpp"

using namespace dubkit;

namespace {

CompositeOptions plain() {
  CompositeOptions o;
  o.color_match = false;
  return o;
}

// A grey frame whose face is to be re-rendered with a red crop; with `silence` > 0, the gate's
// mouth is blue at twice the crop's size.
PendingFrame red_mouth(double silence) {
  PendingFrame p;
  p.frame = cv::Mat(360, 480, CV_8UC3, cv::Scalar::all(128));
  p.landmarks = test::landmark_layout({240, 180}, 200, 10);
  p.tracked = p.face = true;
  p.alignment = align_face(p.landmarks, 96);
  p.crop = cv::Mat(96, 96, CV_8UC3, cv::Scalar(0, 0, 255));
  p.silence = silence;
  if (silence > 0) {
    p.sharp_alignment = align_face(p.landmarks, 192);
    p.sharp_reference = cv::Mat(192, 192, CV_8UC3, cv::Scalar(255, 0, 0));
  }
  return p;
}

// The pixel at the middle of the inner lips.
cv::Vec3b mouth_pixel(const cv::Mat& frame, const Landmarks& l) {
  const cv::Point2f m = 0.5f * (l[62] + l[66]);
  return frame.at<cv::Vec3b>(cvRound(m.y), cvRound(m.x));
}
cv::Vec3b mouth_pixel(const PendingFrame& p) { return mouth_pixel(p.frame, p.landmarks); }

}  // namespace

TEST_CASE("composite stage: the generated mouth pasted as the compositor pastes it", "[lipsync][composite-stage]") {
  PendingFrame p = red_mouth(0);
  cv::Mat expected = p.frame.clone();
  const cv::Mat mask = composite_face(expected, p.crop, p.alignment, p.landmarks, plain());
  CompositeStage composite(plain(), {}, {}, "");
  composite(p);
  CHECK(cv::norm(p.frame, expected, cv::NORM_INF) == 0);
  CHECK(mouth_pixel(p) == cv::Vec3b(0, 0, 255));
  const CompositeTally& t = composite.tally();
  CHECK(t.frames == 1);
  CHECK(t.changed == 1);
  CHECK(t.first_changed == 0);
  CHECK(t.last_changed == 0);
  CHECK(t.changed_box == cv::boundingRect(mask));
  CHECK(t.seconds > 0);
}

TEST_CASE("composite stage: the silence gate's mouth replaces the generated one by its weight", "[lipsync][composite-stage]") {
  SECTION("weight 1: the closed mouth, at its own resolution") {
    PendingFrame p = red_mouth(1);
    cv::Mat expected = p.frame.clone();
    composite_face(expected, p.sharp_reference, p.sharp_alignment, p.landmarks, plain());
    CompositeStage composite(plain(), {}, {}, "");
    composite(p);
    CHECK(cv::norm(p.frame, expected, cv::NORM_INF) == 0);
    CHECK(mouth_pixel(p) == cv::Vec3b(255, 0, 0));
  }
  SECTION("weight 0.5: half of each") {
    PendingFrame p = red_mouth(0.5);
    CompositeStage composite(plain(), {}, {}, "");
    composite(p);
    const cv::Vec3b m = mouth_pixel(p);
    CHECK(std::abs(m[0] - 128) <= 1);
    CHECK(m[1] == 0);
    CHECK(std::abs(m[2] - 128) <= 1);
  }
}

TEST_CASE("composite stage: on_frame sees each frame before the label, in order", "[lipsync][composite-stage]") {
  struct Seen {
    bool landmarks;
    double pts;
    cv::Mat frame;
  };
  std::vector<Seen> seen;
  CompositeStage composite(
      plain(), [&](const cv::Mat& bgr, const Landmarks* l, double pts) { seen.push_back({l != nullptr, pts, bgr.clone()}); },
      {}, "AI-modified");
  std::vector<PendingFrame> frames(3);
  frames[0].frame = cv::Mat(360, 480, CV_8UC3, cv::Scalar::all(128));  // no face tracked
  frames[1] = red_mouth(0);
  frames[1].face = false;  // tracked, outside the spans: kept
  frames[2] = red_mouth(0);
  for (int k = 0; k < 3; ++k) {
    frames[k].pts = 0.04 * k;
    composite(frames[k]);
  }
  REQUIRE(seen.size() == 3);
  CHECK_FALSE(seen[0].landmarks);
  CHECK(seen[1].landmarks);
  CHECK(seen[2].landmarks);
  CHECK(seen[2].pts == Approx(0.08));
  CHECK(cv::norm(seen[1].frame, cv::Mat(360, 480, CV_8UC3, cv::Scalar::all(128)), cv::NORM_INF) == 0);
  CHECK(mouth_pixel(seen[2].frame, frames[2].landmarks) == cv::Vec3b(0, 0, 255));  // composited before it is shown
  for (int k = 0; k < 3; ++k) {
    // The label is drawn after: the output differs from what was seen only at the bottom left.
    cv::Mat diff, changed;
    cv::absdiff(seen[k].frame, frames[k].frame, diff);
    cv::cvtColor(diff, changed, cv::COLOR_BGR2GRAY);
    const cv::Rect box = cv::boundingRect(changed);
    INFO("frame " << k);
    CHECK(box.area() > 0);
    CHECK(box.x < 480 / 20);
    CHECK(box.y > 360 / 2);
  }
  const CompositeTally& t = composite.tally();
  CHECK(t.frames == 3);
  CHECK(t.changed == 1);
  CHECK(t.first_changed == 2);
  CHECK(t.last_changed == 2);
}

TEST_CASE("composite stage: the mark gets each pasted frame and its region, before on_frame", "[lipsync][composite-stage]") {
  std::vector<double> marked;
  cv::Mat region;
  std::vector<cv::Vec3b> shown;
  CompositeStage composite(
      plain(), [&](const cv::Mat& bgr, const Landmarks* l, double) { shown.push_back(mouth_pixel(bgr, *l)); },
      [&](cv::Mat& bgr, const cv::Mat& mask, double pts) {
        marked.push_back(pts);
        region = mask.clone();
        bgr.setTo(cv::Scalar(0, 255, 0), mask);  // what the mark writes is what is shown and encoded
      },
      "");
  std::vector<PendingFrame> frames(2);
  frames[0] = red_mouth(0);
  frames[0].face = false;  // not re-rendered: no mark
  frames[1] = red_mouth(0);
  frames[0].pts = 0.5, frames[1].pts = 0.54;
  cv::Mat expected = frames[1].frame.clone();
  const cv::Mat mask = composite_face(expected, frames[1].crop, frames[1].alignment, frames[1].landmarks, plain());
  for (auto& f : frames) composite(f);
  REQUIRE(marked.size() == 1);
  CHECK(marked[0] == Approx(0.54));
  CHECK(cv::norm(region, mask, cv::NORM_INF) == 0);
  REQUIRE(shown.size() == 2);
  CHECK(shown[1] == cv::Vec3b(0, 255, 0));
}
