// Compositing a generated crop back into its frame: the region follows the face, outside it
// nothing changes (bit for bit), inside the generated mouth shows, colours match.
#include <catch2/catch.hpp>

#include <opencv2/imgproc.hpp>

#include "core/error.hpp"
#include "faces/alignment.hpp"
#include "faces/detector.hpp"
#include "faces/landmarks.hpp"
#include "lipsync/compositor.hpp"
#include "talking_faces/synthetic_face.hpp"

using namespace dubkit;

namespace {

struct Scene {
  cv::Mat frame, open_frame;
  Landmarks landmarks;
  FaceAlignment alignment;
};

// A synthetic face with its mouth closed, the same face with it open, and its landmarks.
Scene scene() {
  const FaceIdentity id = FaceIdentity::random(11);
  Scene s;
  s.frame = render_face(id, HeadPose{}, MouthShape{}, cv::Size(480, 360));
  MouthShape open;
  open.open = 0.9;
  s.open_frame = render_face(id, HeadPose{}, open, cv::Size(480, 360));
  const FaceDetector detector;
  const auto boxes = detector.detect(s.frame);
  REQUIRE(!boxes.empty());
  s.landmarks = LandmarkModel().fit(s.frame, boxes.front().rect);
  s.alignment = align_face(s.landmarks, 96);
  return s;
}

long changed_outside(const cv::Mat& before, const cv::Mat& after, const cv::Mat& mask) {
  cv::Mat diff;
  cv::absdiff(before, after, diff);
  cv::Mat any;
  cv::cvtColor(diff, any, cv::COLOR_BGR2GRAY);
  any.setTo(0, mask);
  return cv::countNonZero(any);
}

}  // namespace

TEST_CASE("compositing changes only the mouth region, which follows the face", "[lipsync][composite]") {
  const Scene s = scene();
  const cv::Mat generated = warp_to_crop(s.open_frame, s.alignment);
  for (bool poisson : {false, true}) {
    INFO("poisson " << poisson);
    CompositeOptions opts;
    opts.poisson = poisson;
    cv::Mat out = s.frame.clone();
    const cv::Mat mask = composite_face(out, generated, s.alignment, s.landmarks, opts);
    CHECK(changed_outside(s.frame, out, mask) == 0);  // bit-identical outside
    cv::Mat diff;
    cv::absdiff(s.frame, out, diff);
    CHECK(cv::countNonZero(diff.reshape(1)) > 200);   // the open mouth went in
    // Not a rectangle: the polygon fills well under its bounding box.
    const cv::Rect box = cv::boundingRect(mask);
    CHECK(cv::countNonZero(mask) < 0.9 * box.area());
    // Below the nose and above the chin's margin: the eyes are never touched.
    const float eyes_y = std::max(s.landmarks[41].y, s.landmarks[46].y);
    CHECK(box.y > eyes_y);
    // The mouth region now looks like the open mouth (compare with the closed original).
    const cv::Rect mouth = cv::boundingRect(std::vector<cv::Point2f>(s.landmarks.begin() + 48, s.landmarks.begin() + 60));
    CHECK(cv::norm(out(mouth), s.open_frame(mouth), cv::NORM_L1) < cv::norm(s.frame(mouth), s.open_frame(mouth), cv::NORM_L1));
  }
}

TEST_CASE("a generated closed mouth hides the frame's open one", "[lipsync][composite]") {
  // The frame talks (mouth open), the generated crop is silent (closed): none of the frame's
  // teeth, lips or lowered chin may show through. dlib reads an inner-lip gap of 0.167 of the
  // face height on the open face and 0 on the closed one; on the composite, 0.011 with the
  // default margins, 0.100 with the earlier ones (the frame's upper teeth showing in the
  // feather).
  const Scene s = scene();
  const LandmarkModel model;
  const FaceDetector detector;
  const auto open_boxes = detector.detect(s.open_frame);
  REQUIRE(!open_boxes.empty());
  const Landmarks open = model.fit(s.open_frame, open_boxes.front().rect);
  const FaceAlignment a = align_face(open, 96);
  cv::Mat out = s.open_frame.clone();
  composite_face(out, warp_to_crop(s.frame, a), a, open);
  const auto boxes = detector.detect(out);
  REQUIRE(!boxes.empty());
  const Landmarks read = model.fit(out, boxes.front().rect);
  CHECK(inner_lip_gap(open) / face_height(open) > 0.1);
  CHECK(inner_lip_gap(read) / face_height(read) < 0.02);
}

TEST_CASE("colour matching moves the generated skin to the frame's", "[lipsync][composite]") {
  const Scene s = scene();
  cv::Mat tinted = warp_to_crop(s.frame, s.alignment);
  tinted += cv::Scalar(40, 0, 0);  // a blue cast, as a badly calibrated generator might add
  for (bool match : {false, true}) {
    CompositeOptions opts;
    opts.color_match = match;
    cv::Mat out = s.frame.clone();
    const cv::Mat mask = composite_face(out, tinted, s.alignment, s.landmarks, opts);
    const double cast = cv::mean(out, mask)[0] - cv::mean(s.frame, mask)[0];
    INFO("match " << match << " cast " << cast);
    if (match) CHECK(std::abs(cast) < 4);
    else CHECK(cast > 10);
  }
}

TEST_CASE("compositing refuses a crop of the wrong size", "[lipsync][composite]") {
  const Scene s = scene();
  cv::Mat out = s.frame.clone();
  CHECK_THROWS_AS(composite_face(out, cv::Mat(64, 64, CV_8UC3), s.alignment, s.landmarks), InvalidArgument);
}
