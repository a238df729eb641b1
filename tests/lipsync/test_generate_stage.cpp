// GenerateStage on a tiny random generator (the e2e tests' width, tests/tools/test_cli_lipsync.cpp):
// each re-rendered frame is driven by the mel window at its own time, frames to keep are skipped,
// a frame's result does not depend on its batch.
#include <catch2/catch.hpp>

#include <opencv2/core.hpp>

#include "lipsync/generate_stage.hpp"
#include "lipsync/inputs.hpp"

using namespace dubkit;

namespace {

Wav2Lip tiny_generator() {
  torch::manual_seed(1);
  LipSyncConfig c;
  c.width = 0.125;
  Wav2Lip g(c);
  g->eval();  // batch norm on running statistics, as a loaded generator runs
  return g;
}

// 2 s at 80 frames/s: silence-level (-4) for the first second, loud (+4) for the second.
FeatureMatrix two_level_mel() {
  FeatureMatrix m(80, 160);
  for (int r = 0; r < m.rows; ++r)
    for (int c = 0; c < m.cols; ++c) m.at(r, c) = c < 80 ? -4.0f : 4.0f;
  return m;
}

cv::Mat noise_crop(int seed) {
  cv::Mat crop(96, 96, CV_8UC3);
  cv::RNG rng(seed);
  rng.fill(crop, cv::RNG::UNIFORM, 0, 256);
  return crop;
}

PendingFrame to_render(double pts) {
  PendingFrame p;
  p.face = true;
  p.pts = pts;
  p.crop = noise_crop(1);
  p.reference = noise_crop(2);
  return p;
}

long pixels_differing(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  return cv::countNonZero(diff.reshape(1));
}

}  // namespace

TEST_CASE("generate stage: new crops at each frame's mel window, other frames untouched", "[lipsync][generate]") {
  const FeatureMatrix mel = two_level_mel();
  GenerateStage generate(tiny_generator(), mel);
  std::vector<PendingFrame> batch;
  batch.push_back(to_render(0.0));
  PendingFrame keep;
  keep.pts = 0.04;
  keep.crop = cv::Mat(10, 10, CV_8UC3, cv::Scalar::all(7));  // not square: the generator would refuse it
  batch.push_back(keep);
  batch.push_back(to_render(1.2));
  generate(batch);

  for (std::size_t k : {0, 2}) {
    INFO("frame " << k);
    REQUIRE(batch[k].crop.size() == cv::Size(96, 96));
    CHECK(batch[k].crop.type() == CV_8UC3);
    CHECK(pixels_differing(batch[k].crop, noise_crop(1)) > 96 * 96);  // redrawn, not the input
  }
  CHECK(batch[1].crop.size() == cv::Size(10, 10));
  CHECK(cv::countNonZero(batch[1].crop.reshape(1) != 7) == 0);
  // Same face and reference, different windows (silence at 0 s, loud at 1.2 s): different mouths.
  CHECK(pixels_differing(batch[0].crop, batch[2].crop) > 0);
  CHECK(generate.seconds() > 0);

  // A frame alone comes out as it did in the batch (within rounding of the float output).
  std::vector<PendingFrame> alone;
  alone.push_back(to_render(1.2));
  generate(alone);
  CHECK(cv::norm(alone[0].crop, batch[2].crop, cv::NORM_INF) <= 1);
}

TEST_CASE("generate stage: a batch with nothing to re-render costs nothing", "[lipsync][generate]") {
  const FeatureMatrix mel = two_level_mel();
  GenerateStage generate(tiny_generator(), mel);
  std::vector<PendingFrame> batch(3);
  generate(batch);
  CHECK(generate.seconds() == 0);
  for (const PendingFrame& p : batch) CHECK(p.crop.empty());
}
