// Face detection, landmarks, tracking and alignment on procedurally rendered faces
// (talking_faces/synthetic_face.hpp): no real person appears in any test image.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "core/error.hpp"
#include "faces/alignment.hpp"
#include "faces/detector.hpp"
#include "faces/landmarks.hpp"
#include "faces/tracker.hpp"
#include "support.hpp"
#include "talking_faces/synthetic_face.hpp"

using namespace dubkit;

namespace {

// Loading the 95 MB model takes a while; every test shares one.
const LandmarkModel& model() {
  static const LandmarkModel m;
  return m;
}

const FaceDetector& detector() {
  static const FaceDetector d;
  return d;
}

const cv::Size kFrame(640, 480);

cv::Mat face(std::uint64_t seed, double open = 0, const HeadPose& pose = {}, cv::Size size = kFrame) {
  MouthShape mouth;
  mouth.open = open;
  return render_face(FaceIdentity::random(seed), pose, mouth, size);
}

// The frame plus Gaussian noise of `sigma` grey levels, as a camera adds.
cv::Mat noisy(const cv::Mat& frame, cv::RNG& rng, double sigma) {
  cv::Mat noise(frame.size(), CV_16SC3), out;
  rng.fill(noise, cv::RNG::NORMAL, 0, sigma);
  frame.convertTo(out, CV_16SC3);
  out += noise;
  out.convertTo(out, CV_8UC3);
  return out;
}

// A room with no one in it: a vertical gradient with some texture.
cv::Mat empty_room(cv::RNG& rng) {
  cv::Mat frame(kFrame, CV_8UC3);
  for (int y = 0; y < frame.rows; ++y) frame.row(y).setTo(cv::Scalar(180 - y / 8, 170 - y / 8, 160 - y / 6));
  return noisy(frame, rng, 5);
}

// RMS frame-to-frame motion of all 68 points, pixels.
double jitter(const std::vector<Landmarks>& frames) {
  double sum = 0;
  for (std::size_t f = 1; f < frames.size(); ++f)
    for (int i = 0; i < 68; ++i) sum += std::pow(cv::norm(frames[f][i] - frames[f - 1][i]), 2);
  return std::sqrt(sum / (68.0 * (frames.size() - 1)));
}

cv::Point2f centre(const cv::Rect2f& r) { return {r.x + r.width / 2, r.y + r.height / 2}; }

}  // namespace

TEST_CASE("the detector finds a rendered face where it was drawn", "[faces]") {
  for (std::uint64_t seed : {1, 2, 3, 4}) {
    INFO("seed " << seed);
    const FaceIdentity id = FaceIdentity::random(seed);
    const std::vector<FaceBox> found = detector().detect(face(seed));
    REQUIRE(found.size() == 1);
    const double height = id.face_height * kFrame.height;  // forehead to chin
    const cv::Point2f drawn(id.center_x * kFrame.width, id.center_y * kFrame.height);
    CHECK(cv::norm(centre(found[0].rect) - drawn) < 0.25 * found[0].rect.width);
    CHECK(found[0].rect.width > 0.5 * height);
    CHECK(found[0].rect.width < 1.2 * height);
    CHECK(found[0].score > 0);  // HOG, not the cascade
  }
}

TEST_CASE("the cascade finds faces too small for HOG, and the tracker fits them", "[faces]") {
  // Faces ~65-75 px high, under HOG's 80 px window. OpenCV's cascade was trained on real
  // faces and finds some of the rendered ones (measured: 8 of 15; one box on the background).
  FaceDetectorOptions hog_only;
  hog_only.cascade_fallback = false;
  const FaceDetector hog(hog_only);
  int missed_by_hog = 0, found_in_place = 0;
  for (std::uint64_t seed = 1; seed <= 8; ++seed)
    for (double scale : {0.3, 0.35}) {
      HeadPose small;
      small.scale = scale;
      const cv::Mat frame = face(seed, 0, small);
      if (!hog.detect(frame).empty()) continue;
      ++missed_by_hog;
      const std::vector<FaceBox> found = detector().detect(frame);
      const FaceIdentity id = FaceIdentity::random(seed);
      const cv::Point2f drawn(id.center_x * kFrame.width, id.center_y * kFrame.height);
      if (found.empty() || cv::norm(centre(found[0].rect) - drawn) > 0.5 * found[0].rect.width) continue;
      ++found_in_place;
      CHECK(found[0].score == 0);
      FaceTracker tracker(detector(), model());
      const std::vector<TrackedFace> faces = tracker.update(frame);
      REQUIRE(faces.size() == 1);
      CHECK(faces[0].valid);
      CHECK(cv::norm(centre(faces[0].box) - drawn) < 0.3 * faces[0].box.width);
      CHECK(faces[0].box.width < found[0].rect.width);  // refitted to the landmarks' framing
    }
  INFO(found_in_place << " of " << missed_by_hog << " small faces found by the cascade");
  CHECK(missed_by_hog >= 8);
  CHECK(3 * found_in_place >= missed_by_hog);
}

TEST_CASE("a frame without a face gives no detections and no valid track", "[faces]") {
  cv::RNG rng(7);
  CHECK(detector().detect(empty_room(rng)).empty());
  FaceTracker tracker(detector(), model());
  for (int f = 0; f < 5; ++f) CHECK(tracker.update(empty_room(rng)).empty());
}

TEST_CASE("the landmarks open with the mouth", "[faces]") {
  for (std::uint64_t seed : {1, 2, 3}) {
    INFO("seed " << seed);
    std::vector<double> gaps;
    for (double open : {0.0, 0.5, 1.0}) {
      const cv::Mat frame = face(seed, open);
      const std::vector<FaceBox> found = detector().detect(frame);
      REQUIRE(found.size() == 1);
      gaps.push_back(inner_lip_gap(model().fit(frame, found[0].rect)));
    }
    CHECK(gaps[0] < 4);
    CHECK(gaps[1] > gaps[0] + 3);
    CHECK(gaps[2] > gaps[1] + 3);
    CHECK(gaps[2] > 12);
  }
}

TEST_CASE("box_for frames a face the way the detector does", "[faces]") {
  const cv::Mat frame = face(5);
  const cv::Rect2f detected = detector().detect(frame).at(0).rect;
  const cv::Rect2f derived = model().box_for(model().fit(frame, detected));
  CHECK((detected & derived).area() / (detected | derived).area() > 0.7);
}

TEST_CASE("the tracker keeps one id while the head moves a little", "[faces]") {
  FaceTracker tracker(detector(), model());
  cv::RNG rng(3);
  float first_nose_x = 0;
  for (int f = 0; f < 30; ++f) {
    HeadPose pose;
    pose.dx = 2.0 * f;
    pose.dy = std::sin(f * 0.3) * 4;
    pose.roll = std::sin(f * 0.2) * 4;
    const std::vector<TrackedFace> faces = tracker.update(noisy(face(6, 0.3 * (f % 4 == 0), pose), rng, 2));
    INFO("frame " << f);
    REQUIRE(faces.size() == 1);
    CHECK(faces[0].valid);
    CHECK(faces[0].track == 0);
    if (f == 0) first_nose_x = faces[0].raw[30].x;
    CHECK(faces[0].raw[30].x - first_nose_x == Approx(2.0 * f).margin(4));
  }
}

TEST_CASE("two faces become two tracks, the larger first, a vanished face is dropped", "[faces]") {
  // Two rendered people side by side; the right one is smaller.
  cv::Mat frame(480, 1120, CV_8UC3);
  face(1).copyTo(frame(cv::Rect(0, 0, 640, 480)));
  face(2, 0, {}, cv::Size(480, 360)).copyTo(frame(cv::Rect(640, 60, 480, 360)));
  FaceDetectorOptions full_size;
  full_size.max_side = 1120;
  const FaceDetector wide(full_size);
  FaceTrackerOptions options;
  options.max_missed = 3;
  FaceTracker tracker(wide, model(), options);
  for (int f = 0; f < 3; ++f) {
    const std::vector<TrackedFace> faces = tracker.update(frame);
    REQUIRE(faces.size() == 2);
    CHECK(faces[0].valid);
    CHECK(faces[1].valid);
    CHECK(faces[0].box.area() > faces[1].box.area());
    CHECK(centre(faces[0].box).x < 640);
    CHECK(centre(faces[1].box).x > 640);
    CHECK(faces[0].track != faces[1].track);
  }
  // The right person leaves: that track is unconfirmed for max_missed frames, then dropped.
  cv::RNG rng(1);
  cv::Mat alone = frame.clone();
  empty_room(rng)(cv::Rect(0, 60, 480, 360)).copyTo(alone(cv::Rect(640, 60, 480, 360)));
  const int left_id = tracker.update(frame)[0].track;
  for (int f = 0; f < options.max_missed; ++f) {
    const std::vector<TrackedFace> faces = tracker.update(alone);
    REQUIRE(faces.size() == 2);
    CHECK(faces[0].valid);
    CHECK_FALSE(faces[1].valid);
  }
  const std::vector<TrackedFace> faces = tracker.update(alone);
  REQUIRE(faces.size() == 1);
  CHECK(faces[0].track == left_id);
}

TEST_CASE("a face that disappears leaves no valid track and update never throws", "[faces]") {
  FaceTrackerOptions options;
  options.max_missed = 2;
  FaceTracker tracker(detector(), model(), options);
  cv::RNG rng(11);
  REQUIRE(tracker.update(face(4)).at(0).valid);
  for (int f = 0; f < 6; ++f) {
    const std::vector<TrackedFace> faces = tracker.update(empty_room(rng));
    for (const TrackedFace& t : faces) CHECK_FALSE(t.valid);
    if (f >= options.max_missed) CHECK(faces.empty());
  }
  const std::vector<TrackedFace> back = tracker.update(face(4));
  REQUIRE(back.size() == 1);
  CHECK(back[0].valid);
  CHECK(back[0].track == 1);  // a new track: ids are never reused
}

TEST_CASE("smoothing removes jitter on a still face but follows a fast mouth", "[faces]") {
  const cv::Mat still = face(3);
  cv::RNG rng(5);
  FaceTracker tracker(detector(), model());
  std::vector<Landmarks> raw, smooth;
  for (int f = 0; f < 60; ++f) {
    const std::vector<TrackedFace> faces = tracker.update(noisy(still, rng, 4));
    REQUIRE(faces.size() == 1);
    REQUIRE(faces[0].valid);
    if (f < 10) continue;  // the filter settles
    raw.push_back(faces[0].raw);
    smooth.push_back(faces[0].landmarks);
  }
  const double raw_jitter = jitter(raw), smooth_jitter = jitter(smooth);
  INFO("jitter raw " << raw_jitter << " px, smoothed " << smooth_jitter << " px");
  CHECK(raw_jitter > 0.2);  // the noise does move the raw landmarks
  CHECK(smooth_jitter < 0.5 * raw_jitter);

  // The mouth snaps open in two frames and shut in two (faster than speech). The smoothed gap
  // may trail the raw one by about half a frame, no more.
  std::vector<double> raw_gap, smooth_gap;
  for (double open : {0.0, 0.5, 1.0, 1.0, 1.0, 0.5, 0.0, 0.0}) {
    const std::vector<TrackedFace> faces = tracker.update(noisy(face(3, open), rng, 4));
    REQUIRE(faces.size() == 1);
    raw_gap.push_back(inner_lip_gap(faces[0].raw));
    smooth_gap.push_back(inner_lip_gap(faces[0].landmarks));
  }
  std::ostringstream gaps;
  for (std::size_t i = 0; i < raw_gap.size(); ++i) gaps << raw_gap[i] << "/" << smooth_gap[i] << " ";
  INFO("raw/smoothed inner-lip gaps: " << gaps.str());
  const double step = raw_gap[3] - raw_gap[0];
  REQUIRE(step > 10);
  CHECK(smooth_gap[1] - smooth_gap[0] > 0.4 * (raw_gap[1] - raw_gap[0]));  // first frame of motion
  CHECK(smooth_gap[2] - smooth_gap[0] > 0.6 * step);
  CHECK(std::abs(smooth_gap[3] - raw_gap[3]) < 0.15 * step);
  CHECK(smooth_gap[5] < smooth_gap[4] - 0.2 * step);  // closing starts at once
  CHECK(std::abs(smooth_gap[7] - raw_gap[7]) < 0.15 * step);
}

TEST_CASE("alignment puts the face on the canonical template and back", "[faces]") {
  const cv::Mat frame = face(2, 1.0);  // wide open: the chin at its lowest
  const Landmarks l = model().fit(frame, detector().detect(frame).at(0).rect);
  for (int size : {96, 128, 192, 256}) {
    INFO("crop " << size);
    const FaceAlignment a = align_face(l, size);
    CHECK(a.size == size);
    double worst = 0;
    for (const cv::Point2f& p : l) worst = std::max(worst, cv::norm(transform_point(a.to_frame, transform_point(a.to_crop, p)) - cv::Point2d(p)));
    CHECK(worst < 1e-9);
    auto crop = [&](int i) { return transform_point(a.to_crop, l[i]); };
    const double half = size / 2.0;
    for (int i = 36; i < 48; ++i) CHECK(crop(i).y < half);        // eyes: upper half
    for (int i : {8, 51, 57}) CHECK(crop(i).y > half);           // chin and lips: lower half
    for (int i = 48; i < 60; ++i) CHECK(crop(i).y < size);         // the whole mouth is in
    CHECK(crop(8).y < size);                                       // so is the open chin
    CHECK(std::abs(crop(30).x - half) < 0.08 * size);              // nose tip centred
    CHECK(crop(0).x > 0);
    CHECK(crop(16).x < size);

    const cv::Mat pixels = warp_to_crop(frame, a);
    CHECK(pixels.size() == cv::Size(size, size));
    CHECK(pixels.type() == CV_8UC3);
  }
}

TEST_CASE("alignment is invariant to rotating, scaling and moving the face", "[faces]") {
  const cv::Mat frame = face(1);
  const Landmarks l = model().fit(frame, detector().detect(frame).at(0).rect);
  const cv::Matx23d move = cv::Matx23d(cv::getRotationMatrix2D(cv::Point2f(300, 200), 25, 1.7)) + cv::Matx23d(0, 0, 40, 0, 0, -30);
  Landmarks moved;
  for (int i = 0; i < 68; ++i) moved[i] = cv::Point2f(transform_point(move, l[i]));
  const FaceAlignment a = align_face(l, 128), b = align_face(moved, 128);
  for (int i = 0; i < 68; ++i) CHECK(cv::norm(transform_point(a.to_crop, l[i]) - transform_point(b.to_crop, moved[i])) < 1e-3);
}

TEST_CASE("a large face is area-averaged into the crop, not misplaced", "[faces]") {
  // Smooth waves of ~200-300 px period: area averaging barely changes them, so the
  // area-averaged path must agree with plain bilinear sampling of the frame. Measured: the sum
  // over channels of the mean difference is ~1 grey level; shifting the crop by half a frame
  // pixel makes it ~2.
  cv::Mat frame(720, 1280, CV_8UC3);
  for (int y = 0; y < frame.rows; ++y)
    for (int x = 0; x < frame.cols; ++x)
      frame.at<cv::Vec3b>(y, x) = cv::Vec3b(cv::saturate_cast<uchar>(128 + 120 * std::sin(x / 50.0 + y / 45.0)),
                                            cv::saturate_cast<uchar>(128 + 120 * std::sin(x / 40.0 - y / 55.0)),
                                            cv::saturate_cast<uchar>(128 + 100 * std::sin(y / 48.0)));
  for (double scale : {0.16, 0.3, 0.45}) {  // faces ~750, 400 and 270 px wide into 96 px
    INFO("scale " << scale);
    FaceAlignment a;
    a.size = 96;
    a.to_crop = cv::Matx23d(cv::getRotationMatrix2D(cv::Point2f(640, 360), 12, scale)) +
                cv::Matx23d(0, 0, 48 - 640, 0, 0, 48 - 360);
    cv::invertAffineTransform(a.to_crop, a.to_frame);
    cv::Mat direct, diff;
    cv::warpAffine(frame, direct, a.to_crop, cv::Size(96, 96), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    cv::absdiff(warp_to_crop(frame, a), direct, diff);
    const cv::Scalar mean = cv::mean(diff);
    CHECK(mean[0] + mean[1] + mean[2] < 1.6);
  }
}

TEST_CASE("missing or broken model files are named in the error", "[faces]") {
  CHECK_THROWS_AS(LandmarkModel("/nonexistent/shape_predictor.dat"), IoError);
  CHECK_THROWS_WITH(LandmarkModel("/nonexistent/shape_predictor.dat"),
                    Catch::Contains("/nonexistent/shape_predictor.dat") && Catch::Contains("libdlib-data"));

  const std::string junk = test::temp_dir("faces") + "/junk.dat";
  std::ofstream(junk) << "not a shape predictor";
  CHECK_THROWS_AS(LandmarkModel(junk), FormatError);
  CHECK_THROWS_WITH(LandmarkModel(junk), Catch::Contains(junk));

  FaceDetectorOptions options;
  options.cascade_path = "/nonexistent/cascade.xml";
  CHECK_THROWS_WITH(FaceDetector(options), Catch::Contains("/nonexistent/cascade.xml") && Catch::Contains("opencv-data"));
  options.cascade_fallback = false;
  CHECK_NOTHROW(FaceDetector(options));
}

TEST_CASE("DUBKIT_DLIB_LANDMARKS overrides the model path", "[faces]") {
  ::setenv("DUBKIT_DLIB_LANDMARKS", "/somewhere/else.dat", 1);
  const std::string path = default_landmark_model_path();
  ::unsetenv("DUBKIT_DLIB_LANDMARKS");
  CHECK(path == "/somewhere/else.dat");
  CHECK(default_landmark_model_path() == "/usr/share/dlib/shape_predictor_68_face_landmarks.dat");
}

TEST_CASE("bad inputs are refused", "[faces]") {
  CHECK_THROWS_AS(detector().detect(cv::Mat()), InvalidArgument);
  CHECK_THROWS_AS(model().fit(cv::Mat(10, 10, CV_32FC1), cv::Rect2f(0, 0, 5, 5)), InvalidArgument);
  CHECK_THROWS_AS(align_face(Landmarks{}, 96), InvalidArgument);
  CHECK_THROWS_AS(align_face(model().fit(face(1), cv::Rect2f(250, 150, 170, 170)), 8), InvalidArgument);
  FaceTrackerOptions options;
  options.redetect_every = 0;
  CHECK_THROWS_AS(FaceTracker(detector(), model(), options), InvalidArgument);
}
