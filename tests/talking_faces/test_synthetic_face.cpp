// The procedural talking faces: identities, rendering, what dlib sees in them, visemes and head
// motion. Every image here is synthetic.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <opencv2/core.hpp>
#include <vector>

#include "core/error.hpp"
#include "faces/detector.hpp"
#include "faces/landmarks.hpp"
#include "talking_faces/synthetic_face.hpp"
#include "talking_faces/visemes.hpp"

using namespace dubkit;

namespace {

const cv::Size kFrame(640, 480);

const LandmarkModel& landmark_model() {
  static const LandmarkModel m;
  return m;
}

// HOG only: the claim is that dlib's own detector takes these faces for faces.
const FaceDetector& hog() {
  static const FaceDetector d([] {
    FaceDetectorOptions o;
    o.cascade_fallback = false;
    return o;
  }());
  return d;
}

double luminance(const cv::Vec3f& bgr) { return 0.114 * bgr[0] + 0.587 * bgr[1] + 0.299 * bgr[2]; }

// A random pose within what a speaker facing the camera does.
HeadPose small_pose(cv::RNG& rng) {
  HeadPose p;
  p.yaw = rng.uniform(-4.0, 4.0);
  p.pitch = rng.uniform(-3.0, 3.0);
  p.roll = rng.uniform(-4.0, 4.0);
  p.dx = rng.uniform(-10.0, 10.0);
  p.dy = rng.uniform(-8.0, 8.0);
  p.scale = rng.uniform(0.95, 1.05);
  return p;
}

// Inner-lip gap dlib measures on a frontal render; NaN when HOG finds no face.
double measured_gap(const FaceIdentity& id, const MouthShape& mouth) {
  const cv::Mat frame = render_face(id, {}, mouth, kFrame);
  const std::vector<FaceBox> boxes = hog().detect(frame);
  if (boxes.empty()) return std::numeric_limits<double>::quiet_NaN();
  return inner_lip_gap(landmark_model().fit(frame, boxes[0].rect));
}

MouthShape opened(double open) {
  MouthShape m;
  m.open = open;
  return m;
}

// Largest change of any mouth parameter between samples 10 ms apart over [t0, t1].
double largest_step(const std::vector<TimedPhone>& phones, double t0, double t1) {
  double worst = 0;
  MouthShape prev = mouth_at(phones, t0);
  for (double t = t0 + 0.01; t <= t1; t += 0.01) {
    const MouthShape m = mouth_at(phones, t);
    worst = std::max({worst, std::abs(m.open - prev.open), std::abs(m.spread - prev.spread),
                      std::abs(m.lip_contact - prev.lip_contact), std::abs(m.lower_lip_tuck - prev.lower_lip_tuck)});
    prev = m;
  }
  return worst;
}

}  // namespace

TEST_CASE("an identity and its render are a function of the seed", "[talking_faces][synthetic]") {
  const FaceIdentity a = FaceIdentity::random(42), b = FaceIdentity::random(42);
  HeadPose pose;
  pose.yaw = 2, pose.roll = -3, pose.blink = 0.3;
  MouthShape mouth;
  mouth.open = 0.6, mouth.spread = -0.4;
  const cv::Mat x = render_face(a, pose, mouth, kFrame), y = render_face(b, pose, mouth, kFrame);
  REQUIRE(x.type() == CV_8UC3);
  REQUIRE(x.size() == kFrame);
  CHECK(cv::norm(x, y, cv::NORM_INF) == 0);
  CHECK(cv::norm(x, render_face(FaceIdentity::random(43), pose, mouth, kFrame), cv::NORM_L1) / x.total() > 10);
}

TEST_CASE("random identities vary in skin tone, hair and build", "[talking_faces][synthetic]") {
  double darkest = 255, lightest = 0, narrowest = 10, widest = 0;
  std::vector<int> styles(6, 0);
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    const FaceIdentity id = FaceIdentity::random(seed);
    darkest = std::min(darkest, luminance(id.skin));
    lightest = std::max(lightest, luminance(id.skin));
    narrowest = std::min(narrowest, id.face_width);
    widest = std::max(widest, id.face_width);
    ++styles[static_cast<int>(id.hair_style)];
  }
  CHECK(darkest < 80);    // deep skin tones are there...
  CHECK(lightest > 190);  // ...and very light ones
  CHECK(widest - narrowest > 0.08);
  CHECK(std::count(styles.begin(), styles.end(), 0) == 0);  // every hair style occurs
}

TEST_CASE("dlib's HOG detector finds random identities in random small poses", "[talking_faces][synthetic]") {
  cv::RNG rng(7);
  int found = 0;
  for (std::uint64_t seed = 100; seed < 140; ++seed) {
    const FaceIdentity id = FaceIdentity::random(seed);
    HeadPose pose = small_pose(rng);
    MouthShape mouth;
    mouth.open = rng.uniform(0.0, 0.8);
    mouth.spread = rng.uniform(-1.0, 1.0);
    const std::vector<FaceBox> boxes = hog().detect(render_face(id, pose, mouth, kFrame));
    if (boxes.empty()) continue;
    // and it is the face that was drawn, not something in the background
    const cv::Point2f drawn(static_cast<float>(id.center_x * kFrame.width + pose.dx),
                            static_cast<float>(id.center_y * kFrame.height + pose.dy));
    const cv::Rect2f& r = boxes[0].rect;
    const cv::Point2f centre(r.x + r.width / 2, r.y + r.height / 2);
    if (cv::norm(centre - drawn) < 0.3 * r.width) ++found;
  }
  CHECK(found >= 38);  // 95 % of 40
}

TEST_CASE("dlib's landmarks follow the rendered mouth", "[talking_faces][synthetic]") {
  // dlib's model was trained on real faces and now and then misplaces a wide-open synthetic
  // mouth (4 of 60 identities at the time of writing), so the wide-open claims are made over
  // a population; closed mouths must read closed on every identity.
  const std::vector<double> levels{0.0, 0.25, 0.5, 0.75, 1.0};
  std::vector<std::vector<double>> gaps(levels.size());
  int monotone = 0;
  const int identities = 16;
  for (std::uint64_t seed = 200; seed < 200 + identities; ++seed) {
    FaceIdentity id = FaceIdentity::random(seed);
    id.face_height = 250.0 / kFrame.height;  // the face height the targets are stated for
    INFO("seed " << seed);
    std::vector<double> g;
    for (double open : levels) g.push_back(measured_gap(id, opened(open)));
    for (double x : g) REQUIRE(std::isfinite(x));
    CHECK(g[0] < 6);
    MouthShape pressed = opened(0.7);
    pressed.lip_contact = 1;  // /m b p/: closed whatever the jaw does
    CHECK(measured_gap(id, pressed) < 8);
    bool rising = g.back() > 25;
    for (std::size_t i = 0; i < g.size(); ++i) {
      gaps[i].push_back(g[i]);
      if (i > 0 && g[i] <= g[i - 1]) rising = false;
    }
    monotone += rising;
  }
  CHECK(monotone >= identities * 85 / 100);
  const auto median = [](std::vector<double> v) {
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2];
  };
  for (std::size_t i = 1; i < levels.size(); ++i) CHECK(median(gaps[i]) > median(gaps[i - 1]) + 4);
  CHECK(median(gaps.back()) > 25);
}

TEST_CASE("opening the mouth drops the jaw, not only the lips", "[talking_faces][synthetic]") {
  const FaceIdentity id = FaceIdentity::random(5);
  const auto chin = [&](double open) {
    const cv::Mat frame = render_face(id, {}, opened(open), kFrame);
    const std::vector<FaceBox> boxes = hog().detect(frame);
    REQUIRE(!boxes.empty());
    return landmark_model().fit(frame, boxes[0].rect)[8].y;  // 8: the chin
  };
  CHECK(chin(1.0) - chin(0.0) > 15);
}

TEST_CASE("render_face refuses frames it cannot draw into and non-finite input", "[talking_faces][synthetic]") {
  const FaceIdentity id = FaceIdentity::random(1);
  CHECK_THROWS_AS(render_face(id, {}, {}, cv::Size(16, 480)), InvalidArgument);
  HeadPose pose;
  pose.yaw = std::nan("");
  CHECK_THROWS_AS(render_face(id, pose, {}, kFrame), InvalidArgument);
  MouthShape mouth;
  mouth.open = std::numeric_limits<double>::infinity();
  CHECK_THROWS_AS(render_face(id, {}, mouth, kFrame), InvalidArgument);
  // out-of-range values are clamped, not refused
  mouth.open = 3;
  CHECK(cv::norm(render_face(id, {}, mouth, kFrame), render_face(id, {}, opened(1), kFrame), cv::NORM_INF) == 0);
}

TEST_CASE("visemes: bilabials close, open vowels open, long pauses rest", "[talking_faces][visemes]") {
  // "ma pa" with a 300 ms pause, then "ɑ" alone
  const std::vector<TimedPhone> phones{
      {"m", 0.10, 0.14}, {"ɑ", 0.14, 0.30}, {"_", 0.30, 0.60}, {"p", 0.60, 0.63}, {"ɑ", 0.63, 0.80}};
  const MouthShape m = mouth_at(phones, 0.12);  // a 40 ms /m/ still closes completely
  CHECK(m.open == 0);
  CHECK(m.lip_contact == 1);
  CHECK(mouth_at(phones, 0.615).open == 0);  // and so does a 30 ms /p/
  CHECK(mouth_at(phones, 0.22).open > 0.8);
  const MouthShape pause = mouth_at(phones, 0.45);
  CHECK(pause.open < 0.01);
  CHECK(pause.lip_contact > 0.25);
  CHECK(mouth_at(phones, -1).open == 0);  // before and after the utterance: closed
  CHECK(mouth_at(phones, 2).open == 0);
  // a short pause inside a phrase only relaxes the mouth
  const std::vector<TimedPhone> breath{{"ɑ", 0.0, 0.2}, {"_", 0.2, 0.28}, {"ɑ", 0.28, 0.5}};
  CHECK(mouth_at(breath, 0.24).open > 0.1);
}

TEST_CASE("visemes: rounding, spreading, diphthongs, labiodentals, unknown phones", "[talking_faces][visemes]") {
  const auto alone = [](const std::string& ipa, double at = 0.5) { return mouth_at({{ipa, 0.3, 0.7}}, at); };
  CHECK(alone("u").spread < -0.8);
  CHECK(alone("i").spread > 0.8);
  CHECK(alone("iː").spread > 0.8);  // length and stress marks change nothing
  CHECK(alone("ˈɑ").open > 0.9);
  CHECK(alone("aɪ", 0.4).open > alone("aɪ", 0.65).open + 0.3);  // a diphthong moves
  CHECK(alone("oʊ", 0.65).spread < -0.6);
  CHECK(alone("f").lower_lip_tuck > 0.99);
  CHECK(alone("tʃ").spread < -0.5);  // an affricate is one target, not t then ʃ
  const MouthShape unknown = alone("ʘ");
  CHECK(std::abs(unknown.open - 0.5) < 1e-6);
  CHECK(std::abs(unknown.spread) < 1e-6);
  CHECK(viseme("m").lip_contact == 1);
  CHECK(viseme("_").open == 0);
}

TEST_CASE("visemes: coarticulation keeps the mouth continuous", "[talking_faces][visemes]") {
  const std::vector<std::string> inventory{"æ",  "n",  "d",  "ð", "eɪ", "b", "ɹ", "ɔ", "oʊ", "dʒ", "i", "z", "ə", "s",
                                           "ɪ",  "m",  "ɡ",  "ɑ", "ɛ",  "k", "t", "h", "l",  "ʃ",  "f", "v", "w", "u",
                                           "aɪ", "aʊ", "ɔɪ", "θ", "ŋ",  "j", "p", "ʒ", "tʃ", "ʊ",  "ʌ", "ɜ", "ɚ", "_"};
  cv::RNG rng(3);
  double worst = 0;
  for (int utterance = 0; utterance < 50; ++utterance) {
    std::vector<TimedPhone> phones;
    double t = 0.2;
    for (int i = 0; i < 30; ++i) {
      const double d = rng.uniform(0.025, 0.2);
      phones.push_back({inventory[rng.uniform(0, static_cast<int>(inventory.size()))], t, t + d});
      t += d + (rng.uniform(0, 5) == 0 ? rng.uniform(0.0, 0.3) : 0.0);  // some gaps
    }
    worst = std::max(worst, largest_step(phones, 0, t + 0.3));
  }
  // 10 ms steps of at most 40 % of a parameter's range: a full opening takes >= ~30 ms, as a
  // jaw does, even across a 25 ms bilabial closure.
  CHECK(worst < 0.4);
  CHECK(worst > 0.05);  // and the mouth does move
}

TEST_CASE("mouth_track samples frames at their presentation times and refuses bad input", "[talking_faces][visemes]") {
  const std::vector<TimedPhone> phones{{"ɑ", 0.1, 0.3}, {"m", 0.3, 0.38}, {"u", 0.38, 0.6}};
  const std::vector<MouthShape> track = mouth_track(phones, 25, 20);
  REQUIRE(track.size() == 20);
  for (int i = 0; i < 20; ++i) CHECK(track[i].open == mouth_at(phones, i / 25.0).open);
  CHECK_THROWS_AS(mouth_track(phones, 0, 10), InvalidArgument);
  CHECK_THROWS_AS(mouth_at({{"a", 0.5, 0.4}}, 0), InvalidArgument);
  CHECK_THROWS_AS(mouth_at({{"a", 0.0, 0.4}, {"b", 0.3, 0.5}}, 0), InvalidArgument);
}

TEST_CASE("head motion drifts smoothly by a few degrees and blinks every 2-6 s", "[talking_faces][visemes]") {
  double largest = 0, step = 0;
  std::vector<double> blinks;
  HeadPose prev = head_motion_at(9, 0);
  for (double t = 0.01; t < 120; t += 0.01) {
    const HeadPose p = head_motion_at(9, t);
    largest = std::max({largest, std::abs(p.yaw), std::abs(p.pitch), std::abs(p.roll)});
    step = std::max({step, std::abs(p.yaw - prev.yaw), std::abs(p.dx - prev.dx)});
    if (p.blink > 0.9 && prev.blink <= 0.9) blinks.push_back(t);
    prev = p;
  }
  CHECK(largest <= 3.0);
  CHECK(largest > 1.0);
  CHECK(step < 0.2);  // degrees or pixels per 10 ms: drift, not jitter
  REQUIRE(blinks.size() >= 19);
  for (std::size_t i = 1; i < blinks.size(); ++i) {
    CHECK(blinks[i] - blinks[i - 1] >= 2.0);
    CHECK(blinks[i] - blinks[i - 1] <= 6.0);
  }
  CHECK(head_motion_at(9, 37.2).yaw != head_motion_at(10, 37.2).yaw);  // each clip its own motion
}
