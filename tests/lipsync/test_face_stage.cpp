// FaceStage on rendered synthetic faces (talking_faces/synthetic_face.hpp) with dlib's detector
// and landmarks: the chosen track, the spans, the crops, references and silence weights it
// prepares for the generator, and the tracks it reports.
#include <catch2/catch.hpp>

#include <cmath>

#include "lipsync/face_stage.hpp"
#include "support.hpp"
#include "talking_faces/synthetic_face.hpp"

using namespace dubkit;

namespace {

// Frame i of a face talking at 3 Hz, 25 fps, or an empty room.
PendingFrame frame(int i, bool with_face = true) {
  PendingFrame p;
  p.pts = i / 25.0;
  p.duration = 0.04;
  if (!with_face) {
    p.frame = cv::Mat(240, 320, CV_8UC3, cv::Scalar(90, 120, 150));
    return p;
  }
  MouthShape m;
  m.open = 0.5 + 0.5 * std::sin(2 * M_PI * 3 * i / 25.0);
  p.frame = render_face(FaceIdentity::random(5), HeadPose{}, m, cv::Size(320, 240));
  return p;
}

}  // namespace

TEST_CASE("face stage: frames in the spans are prepared for the generator, the others only tracked", "[lipsync][face-stage]") {
  // 0.2 s of speech, then silence: the gate closes the mouth from about 0.28 s on.
  const SilenceGate gate(test::test_tone(16000, 0.2, 180.0), 0.08);
  FaceStageOptions o;
  o.crop_size = 96;
  o.spans = {{0.1, 0.5}};  // frames 3..12
  FaceStage stage(FaceDetector(), LandmarkModel(), o, &gate);
  long silenced = 0;
  for (int i = 0; i < 15; ++i) {
    PendingFrame p = frame(i);
    stage(p, i);
    INFO("frame " << i);
    CHECK(p.tracked);
    CHECK(face_height(p.landmarks) > 50);
    const bool in_span = i >= 3 && i <= 12;
    CHECK(p.face == in_span);
    if (!in_span) {
      CHECK(p.crop.empty());
      CHECK(p.silence == 0);
      continue;
    }
    CHECK(p.crop.size() == cv::Size(96, 96));
    CHECK(p.alignment.size == 96);
    CHECK(p.reference.size() == cv::Size(96, 96));
    CHECK(p.silence == gate.weight(p.pts));
    CHECK(p.sharp_reference.empty() == (p.silence == 0));
    silenced += p.silence >= 1;
  }
  CHECK(stage.target() == 0);
  CHECK(silenced > 0);  // frames 8..12 at least (0.32 s on)
  CHECK(stage.frames_silenced() == silenced);
  const auto tracks = stage.tracks();
  REQUIRE(tracks.size() == 1);
  CHECK(tracks[0].track == 0);
  CHECK(tracks[0].first_frame == 0);
  CHECK(tracks[0].last_frame == 14);
  CHECK(tracks[0].frames == 15);
  CHECK(tracks[0].mean_size > 50);
}

TEST_CASE("face stage: the face is chosen where it first appears, no gate, no silence", "[lipsync][face-stage]") {
  FaceStageOptions o;
  FaceStage stage(FaceDetector(), LandmarkModel(), o, nullptr);
  PendingFrame room = frame(0, false);
  stage(room, 0);
  CHECK_FALSE(room.tracked);
  CHECK_FALSE(room.face);
  CHECK(stage.target() == -1);
  for (int i = 1; i < 4; ++i) {
    PendingFrame p = frame(i);
    stage(p, i);
    CHECK(p.face);
    CHECK(p.silence == 0);
  }
  CHECK(stage.target() == 0);
  CHECK(stage.frames_silenced() == 0);
  REQUIRE(stage.tracks().size() == 1);
  CHECK(stage.tracks()[0].first_frame == 1);
}

TEST_CASE("face stage: a chosen track that is not there re-renders nothing", "[lipsync][face-stage]") {
  FaceStageOptions o;
  o.face = 3;
  FaceStage stage(FaceDetector(), LandmarkModel(), o, nullptr);
  for (int i = 0; i < 3; ++i) {
    PendingFrame p = frame(i);
    stage(p, i);
    CHECK_FALSE(p.tracked);
    CHECK_FALSE(p.face);
  }
  CHECK(stage.target() == 3);
  CHECK(stage.tracks().size() == 1);  // the face is still tracked and reported
}
