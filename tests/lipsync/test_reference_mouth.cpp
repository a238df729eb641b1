// ReferenceMouth: the generator's reference is the most closed mouth seen so far, kept at the
// generator's size and, for the silence gate, at the face's own resolution. Faces are hand-laid
// landmarks over flat frames whose colour tells which frame a crop came from.
#include <catch2/catch.hpp>

#include <opencv2/imgproc.hpp>

#include "faces/alignment.hpp"
#include "lipsync/reference_mouth.hpp"
#include "lipsync/landmark_layout.hpp"

using namespace dubkit;

namespace {

constexpr int kSize = 96;

// Frame k: flat grey 20 + 30 k, a face 200 pixels high whose inner lips are `gap` apart.
PendingFrame frame_with_gap(int k, float gap, double silence) {
  PendingFrame p;
  p.frame = cv::Mat(360, 480, CV_8UC3, cv::Scalar::all(20 + 30 * k));
  p.landmarks = test::landmark_layout({240, 180}, 200, gap);
  p.alignment = align_face(p.landmarks, kSize);
  p.crop = warp_to_crop(p.frame, p.alignment);
  p.silence = silence;
  return p;
}

int colour_index(const cv::Mat& crop) { return static_cast<int>(std::lround((cv::mean(crop)[0] - 20) / 30)); }

}  // namespace

TEST_CASE("reference mouth: the most closed crop seen so far", "[lipsync][reference]") {
  ReferenceMouth reference(kSize);
  // Gaps in pixels (face height 200); the reference after each frame is the smallest so far,
  // the earlier one on a tie.
  const std::vector<float> gaps = {30, 10, 20, 4, 4, 12};
  const std::vector<int> expected = {0, 1, 1, 3, 3, 3};
  for (std::size_t k = 0; k < gaps.size(); ++k) {
    PendingFrame p = frame_with_gap(static_cast<int>(k), gaps[k], 0);
    reference.update(p, p.landmarks);
    INFO("frame " << k);
    REQUIRE(p.reference.size() == cv::Size(kSize, kSize));
    CHECK(colour_index(p.reference) == expected[k]);
    CHECK(p.sharp_reference.empty());  // not asked for outside the gate
  }
}

TEST_CASE("reference mouth: the gate's sharp reference at the face's resolution", "[lipsync][reference]") {
  ReferenceMouth reference(kSize);
  PendingFrame closed = frame_with_gap(0, 2, 0);
  reference.update(closed, closed.landmarks);
  PendingFrame paused = frame_with_gap(1, 40, 0.5);
  reference.update(paused, paused.landmarks);
  CHECK(colour_index(paused.reference) == 0);
  REQUIRE_FALSE(paused.sharp_reference.empty());
  CHECK(colour_index(paused.sharp_reference) == 0);  // the closed frame's pixels
  // Sized by the first face's scale in its frame (the crop's to_frame scale times 96), so a
  // face larger than the crop keeps its detail; aligned for this frame.
  const cv::Matx23d& m = closed.alignment.to_frame;
  const int side = static_cast<int>(std::lround(kSize * std::sqrt(m(0, 0) * m(1, 1) - m(0, 1) * m(1, 0))));
  CHECK(side > kSize);
  CHECK(paused.sharp_reference.size() == cv::Size(side, side));
  CHECK(paused.sharp_alignment.size == side);
  CHECK(cv::norm(paused.sharp_alignment.to_crop - align_face(paused.landmarks, side).to_crop) < 1e-9);
}
