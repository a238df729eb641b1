// What each sync expert reads: the public evaluation model's 224 x 224 face crop around a box
// built from the landmarks, its 20-frame MFCC windows, and which file loads as which expert.
#include <catch2/catch.hpp>

#include "audio/mel_preset.hpp"
#include "core/safetensors.hpp"
#include "core/torch_bridge.hpp"
#include "support.hpp"
#include "sync/expert_files.hpp"
#include "sync/sync_judge.hpp"
#include "sync/syncnet_v2.hpp"

using namespace dubkit;

namespace {

// Random weights of the public layout in a safetensors file without dubkit metadata.
std::string syncnet_v2_file(const std::string& dir) {
  torch::manual_seed(1);
  const std::string path = dir + "/syncnet_v2.safetensors";
  write_safetensors(path, module_weights(*SyncNetV2()));
  return path;
}

}  // namespace

TEST_CASE("sync judge: each file loads as its own expert", "[sync]") {
  const std::string dir = test::temp_dir("sync-judge");
  SyncNetConfig c;
  c.width = 0.125;
  save_sync_expert(dir + "/expert.safetensors", SyncNet(c));
  CHECK(load_sync_judge(dir + "/expert.safetensors")->name() == "dubkit");
  CHECK(load_sync_judge(syncnet_v2_file(dir))->name() == "syncnet_v2");
  // A file of neither layout is refused by the public model's loader, naming what is missing.
  write_safetensors(dir + "/other.safetensors", module_weights(*torch::nn::Linear(2, 2)));
  CHECK_THROWS_WITH(load_sync_judge(dir + "/other.safetensors"),
                    Catch::Contains("other.safetensors") && Catch::Contains("netcnnaud.0.weight"));
}

TEST_CASE("syncnet_v2 judge: the public crop region, grey outside the frame", "[sync]") {
  const std::string dir = test::temp_dir("sync-judge-crop");
  const auto judge = load_sync_judge(syncnet_v2_file(dir));
  // Each pixel says where it is: blue = x / 4, green = y / 2.
  cv::Mat frame(480, 640, CV_8UC3);
  for (int y = 0; y < 480; ++y)
    for (int x = 0; x < 640; ++x) frame.at<cv::Vec3b>(y, x) = cv::Vec3b(x / 4, y / 2, 0);
  // Jaw at eye level from x 100 to 300 (half-side s = 100), nose tip at y 220: the region is
  // x 60 .. 340 and y 120 .. 400, 280 pixels square, 1.25 frame pixels per crop pixel.
  Landmarks l{};
  l[0] = {100, 200};
  l[16] = {300, 200};
  l[30] = {200, 220};
  const torch::Tensor c = judge->crop(frame, l);
  REQUIRE(c.sizes() == torch::IntArrayRef({3, 224, 224}));
  auto at = [&](int ch, int y, int x) { return c[ch][y][x].item<int>(); };
  // Crop pixel (i, j) samples the frame at 60 + 1.25 (j + 0.5) - 0.5.
  CHECK(std::abs(at(0, 0, 0) - (60 + 0.125) / 4) <= 1);
  CHECK(std::abs(at(1, 0, 0) - (120 + 0.125) / 2) <= 1);
  CHECK(std::abs(at(0, 112, 112) - 200.125 / 4) <= 1);
  CHECK(std::abs(at(1, 112, 112) - 260.125 / 2) <= 1);
  CHECK(std::abs(at(1, 223, 223) - (120 + 1.25 * 223.5 - 0.5) / 2) <= 1);
  // Moved up by 150 pixels the region starts 30 pixels above the frame: those rows are grey.
  for (auto& p : l) p.y -= 150;
  const torch::Tensor top = judge->crop(frame, l);
  CHECK(top[0][0][100].item<int>() == 110);
  CHECK(top[1][10][100].item<int>() == 110);
  CHECK(top[1][40][100].item<int>() != 110);
}

TEST_CASE("syncnet_v2 judge: 20 MFCC frames per window, starting at round(100 t)", "[sync]") {
  const std::string dir = test::temp_dir("sync-judge-audio");
  const auto judge = load_sync_judge(syncnet_v2_file(dir));
  const FeatureMatrix f = judge->features(test::test_tone(16000, 1.0, 200.0));
  CHECK(f.rows == 13);
  CHECK(f.cols == MelAnalyzer(mel_preset("syncnet-mfcc")).compute(test::test_tone(16000, 1.0, 200.0)).cols);
  CHECK(judge->covers(f, 0.0));
  CHECK(judge->covers(f, (f.cols - 20) / 100.0));
  CHECK_FALSE(judge->covers(f, (f.cols - 19) / 100.0));
  CHECK_FALSE(judge->covers(f, -0.01));
  CHECK(judge->pads_edges());
  torch::InferenceMode inference;
  const torch::Tensor e = judge->embed_audio(f, {0.0, 0.04});
  CHECK(e.sizes() == torch::IntArrayRef({2, 1024}));
  // A window of 5 crops of zeros embeds to 1024 values too.
  CHECK(judge->embed_faces(torch::zeros({1, 5, 3, 224, 224}, torch::kUInt8)).sizes() == torch::IntArrayRef({1, 1024}));
}
