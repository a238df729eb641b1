// The Wav2Lip generator against the public implementation (Rudrabha/Wav2Lip 5c90fa9): outputs
// for the deterministic PATTERN weights of tests/fixtures/reference/README.md, and every tensor
// name and shape of the public model. Its sync experts are tested in tests/sync/test_syncnet.cpp.
#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "core/safetensors.hpp"
#include "core/torch_bridge.hpp"
#include "lipsync/conv_block.hpp"
#include "lipsync/public_weights.hpp"
#include "lipsync/wav2lip.hpp"
#include "support.hpp"

using namespace dubkit;
using namespace dubkit::test;

TEST_CASE("Wav2Lip generator: public names, shapes and output for PATTERN weights", "[lipsync][golden]") {
  const auto keys = read_keys(test::fixture("wav2lip_keys.txt"));
  Wav2Lip g;
  check_names(*g, keys);
  load_weights(*g, pattern_weights(keys), "PATTERN");
  g->eval();
  SafetensorsFile io(test::fixture("wav2lip_pattern_io.safetensors"));
  const torch::Tensor expected = to_torch(io.at("out").copy());
  torch::NoGradGuard no_grad;
  const torch::Tensor got = g->forward(to_torch(io.at("mel").copy()), to_torch(io.at("face").copy()));
  REQUIRE(got.sizes() == expected.sizes());
  CHECK(expected.std().item<float>() > 1e-3f);  // not a constant image
  CHECK((got - expected).abs().max().item<float>() < 1e-4f);
  // Folding the BatchNorms into the convolutions (inference speed) keeps the output.
  fold_batch_norms(*g);
  CHECK((g->forward(to_torch(io.at("mel").copy()), to_torch(io.at("face").copy())) - expected).abs().max().item<float>() < 1e-4f);
}

TEST_CASE("Wav2Lip sizes and widths beyond the public release", "[lipsync]") {
  torch::NoGradGuard no_grad;
  for (int size : {96, 128, 192, 256}) {
    LipSyncConfig c;
    c.face_size = size;
    c.width = 0.25;
    Wav2Lip g(c);
    g->eval();
    const auto out = g->forward(torch::rand({2, 1, 80, 16}), torch::rand({2, 6, size, size}));
    INFO(size);
    CHECK(out.sizes() == torch::IntArrayRef({2, 3, size, size}));
    CHECK(out.min().item<float>() >= 0.f);
    CHECK(out.max().item<float>() <= 1.f);
  }
  LipSyncConfig bad;
  bad.face_size = 100;
  CHECK_THROWS_WITH(bad.validate(), Catch::Contains("face_size") && Catch::Contains("100"));
  bad = {};
  bad.width = 0;
  CHECK_THROWS_AS(Wav2Lip(bad), InvalidArgument);
  CHECK_THROWS_WITH(LipSyncConfig::from_json(R"({"face_size": 96})", "g.safetensors"), Catch::Contains("g.safetensors"));
  LipSyncConfig round;
  round.face_size = 192;
  round.width = 0.5;
  CHECK(LipSyncConfig::from_json(round.to_json(), "x").to_json() == round.to_json());
  // A wrong input shape is refused with the expected one.
  Wav2Lip g;
  CHECK_THROWS_WITH(g->forward(torch::rand({1, 1, 80, 16}), torch::rand({1, 6, 128, 128})), Catch::Contains("[B, 6, 96, 96]"));
}
