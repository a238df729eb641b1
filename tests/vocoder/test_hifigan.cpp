// The HiFi-GAN generator against the public implementation (jik876/hifi-gan): its own output for
// randomly initialised V2 and V3 generators saved as the public training saves them, with weight
// norm (tests/fixtures/reference/hifigan_v{2,3}_*, README there).
#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "core/safetensors.hpp"
#include "core/torch_bridge.hpp"
#include "support.hpp"
#include "vocoder/hifigan.hpp"

using namespace dubkit;

TEST_CASE("public HiFi-GAN V2 and V3 checkpoints reproduce the reference audio", "[vocoder][hifigan][golden]") {
  for (const std::string v : {"v2", "v3"}) {
    const HifiGanConfig config = HifiGanConfig::from_file(test::fixture("hifigan_" + v + "_config.json"));
    // The release's config.json and the named preset are the same architecture.
    CHECK(config.to_json() == HifiGanConfig::named(v).to_json());
    HifiGanGenerator g = load_hifigan(test::fixture("hifigan_" + v + "_generator.pt"), config);
    SafetensorsFile io(test::fixture("hifigan_" + v + "_io.safetensors"));
    const torch::Tensor mel = to_torch(io.at("mel").copy());
    const torch::Tensor expected = to_torch(io.at("audio").copy());
    torch::NoGradGuard no_grad;
    const torch::Tensor got = g->forward(mel);
    INFO(v);
    REQUIRE(got.sizes() == expected.sizes());
    CHECK(expected.abs().max().item<float>() > 1e-3f);  // a real signal
    CHECK((got - expected).abs().max().item<float>() < 1e-4f);
    // Folding equals the public remove_weight_norm().
    CHECK((got - to_torch(io.at("audio_no_wn").copy())).abs().max().item<float>() < 1e-4f);
  }
}

TEST_CASE("HiFi-GAN loading names the tensor that does not fit", "[vocoder][hifigan]") {
  // V2's weights into a V3 network: same names in part, other shapes.
  CHECK_THROWS_WITH(load_hifigan(test::fixture("hifigan_v2_generator.pt"), HifiGanConfig::named("v3")),
                    Catch::Contains("hifigan_v2_generator.pt") && Catch::Contains("expected"));
  HifiGanConfig bad = HifiGanConfig::named("v3");
  bad.hop_size = 200;
  CHECK_THROWS_WITH(bad.validate(), Catch::Contains("hop_size"));
  CHECK_THROWS_WITH(HifiGanConfig::from_json(R"({"resblock": "3"})", "c.json"), Catch::Contains("c.json") && Catch::Contains("resblock"));
  CHECK_THROWS_AS(HifiGanConfig::from_json(R"({"upsample_rates": "8"})", "c.json"), FormatError);
}
