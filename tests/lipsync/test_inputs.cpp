// Lip-sync inputs built as the public Wav2Lip builds them, and the generator's weight files
// (the sync expert's, and the refusal of one kind for the other: tests/sync/test_expert_files.cpp).
#include <catch2/catch.hpp>

#include <cmath>

#include "core/error.hpp"
#include "lipsync/inputs.hpp"
#include "lipsync/model_files.hpp"
#include "support.hpp"

using namespace dubkit;

TEST_CASE("mel windows start at round(80 t) and stay inside the mel", "[lipsync]") {
  // 25 fps: frame i at i / 25 s starts at round(3.2 i): 0, 3, 6, 10, 13.
  const long expected[] = {0, 3, 6, 10, 13};
  for (int i = 0; i < 5; ++i) CHECK(mel_window_start(i / 25.0, 1000) == expected[i]);
  CHECK(mel_window_start(-0.5, 100) == 0);
  CHECK(mel_window_start(10.0, 100) == 84);  // moved back to end at the last frame
  // Values encode (band, frame), so each window's content shows where it was cut.
  FeatureMatrix mel;
  mel.rows = 80;
  mel.cols = 40;
  mel.data.resize(80 * 40);
  for (int b = 0; b < 80; ++b)
    for (int f = 0; f < 40; ++f) mel.data[b * 40 + f] = static_cast<float>(1000 * b + f);
  const torch::Tensor w = mel_windows(mel, {0.0, 0.12, 1.0});
  REQUIRE(w.sizes() == torch::IntArrayRef({3, 1, 80, 16}));
  CHECK(w[0][0][0][0].item<float>() == 0.f);
  CHECK(w[1][0][2][0].item<float>() == 2010.f);   // round(9.6) = 10, band 2
  CHECK(w[2][0][79][15].item<float>() == 79039.f);  // clamped to frames 24..39
  mel.cols = 15;
  mel.data.resize(80 * 15);
  CHECK_THROWS_AS(mel_windows(mel, {0.0}), InvalidArgument);
}

TEST_CASE("generator and expert face inputs", "[lipsync]") {
  cv::Mat a(96, 96, CV_8UC3, cv::Scalar(10, 20, 30)), b(96, 96, CV_8UC3, cv::Scalar(255, 0, 128));
  const torch::Tensor t = crops_to_tensor({a, b});
  REQUIRE(t.sizes() == torch::IntArrayRef({2, 3, 96, 96}));
  CHECK(t[0][0][5][5].item<float>() == Approx(10 / 255.0));  // B first: BGR order kept
  CHECK(t[1][2][90][90].item<float>() == Approx(128 / 255.0));
  const torch::Tensor in = generator_input(t, t.flip(0));
  REQUIRE(in.sizes() == torch::IntArrayRef({2, 6, 96, 96}));
  CHECK(in.narrow(2, 48, 48).narrow(1, 0, 3).abs().max().item<float>() == 0.f);  // lower half masked
  CHECK(in[0][1][10][10].item<float>() == Approx(20 / 255.0));                   // upper half kept
  CHECK(in[0][3][90][90].item<float>() == Approx(1.0));                          // reference = b, unmasked
  const cv::Mat back = tensor_to_crop(t[1]);
  CHECK(cv::norm(back, b, cv::NORM_INF) == 0);
  CHECK_THROWS_AS(crops_to_tensor({cv::Mat(96, 80, CV_8UC3)}), InvalidArgument);

  // Five 192-pixel frames: lower halves, area-scaled to 48 x 96, frame-major channels.
  torch::Tensor crops = torch::zeros({1, 5, 3, 192, 192});
  for (int f = 0; f < 5; ++f) crops[0][f].narrow(1, 96, 96).fill_(0.1 * (f + 1));
  const torch::Tensor e = expert_faces(crops);
  REQUIRE(e.sizes() == torch::IntArrayRef({1, 15, 48, 96}));
  for (int f = 0; f < 5; ++f) CHECK(e[0][3 * f + 2].mean().item<float>() == Approx(0.1 * (f + 1)));
}

TEST_CASE("lip-sync generator files round-trip", "[lipsync]") {
  const std::string dir = test::temp_dir("lipsync_files");
  LipSyncConfig gc;
  gc.face_size = 128;
  gc.width = 0.125;
  Wav2Lip g(gc);
  save_lipsync_generator(dir + "/g.safetensors", g, {{"dubkit.steps", "7"}}, /*half=*/true);
  Wav2Lip back = load_lipsync_generator(dir + "/g.safetensors");
  CHECK(back->config().to_json() == gc.to_json());
  torch::NoGradGuard no_grad;
  g->eval();
  const torch::Tensor mel = torch::rand({1, 1, 80, 16}), face = torch::rand({1, 6, 128, 128});
  CHECK((g->forward(mel, face) - back->forward(mel, face)).abs().max().item<float>() < 1e-2f);  // fp16 weights
  CHECK_THROWS_AS(load_lipsync_generator(dir + "/missing.safetensors"), IoError);
}
