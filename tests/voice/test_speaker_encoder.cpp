// The GE2E encoder against SV2TTS (CorentinJ/Real-Time-Voice-Cloning 865eba8): the public
// code's own output for its own checkpoint (../shared/fixtures/reference/rtvc_encoder*).
#include <catch2/catch.hpp>

#include "core/checkpoint.hpp"
#include "core/error.hpp"
#include "core/safetensors.hpp"
#include "core/torch_bridge.hpp"
#include "support.hpp"
#include "voice/speaker_encoder.hpp"

using namespace dubkit;

TEST_CASE("the public SV2TTS checkpoint loads by name and reproduces its embedding", "[voice][golden]") {
  SpeakerEncoder enc;
  const std::string pt = test::fixture("rtvc_encoder.pt");
  load_weights(*enc, load_torch_checkpoint(pt), pt);
  enc->eval();
  SafetensorsFile io(test::fixture("rtvc_encoder_io.safetensors"));
  torch::NoGradGuard no_grad;
  const torch::Tensor partial = to_torch(io.at("partial").copy());
  const torch::Tensor expected = to_torch(io.at("embed").copy());
  const torch::Tensor got = enc->forward(partial);
  REQUIRE(got.sizes() == expected.sizes());
  CHECK(expected.norm().item<float>() == Approx(1.0f).margin(1e-4));  // a real embedding, not zeros
  CHECK((got - expected).abs().max().item<float>() < 1e-5f);
  // The weights matter: a model that is not the checkpoint's gives another embedding.
  SpeakerEncoder fresh;
  fresh->eval();
  CHECK((fresh->forward(partial) - expected).abs().max().item<float>() > 1e-3f);
}

TEST_CASE("weight loading reports missing, misshapen and unexpected tensors", "[voice][bad-input]") {
  SpeakerEncoder enc;
  TensorDict w = load_torch_checkpoint(test::fixture("rtvc_encoder.pt"));
  TensorDict missing;
  for (const auto& [name, t] : w.items())
    if (name != "linear.bias") missing.add(name, t);
  CHECK_THROWS_WITH(load_weights(*enc, missing, "m.pt"), Catch::Contains("missing tensor 'linear.bias'"));

  TensorDict misshapen;
  for (const auto& [name, t] : w.items())
    misshapen.add(name, name == "linear.weight" ? HostTensor::from_float({2, 2}, {1, 2, 3, 4}) : t);
  CHECK_THROWS_WITH(load_weights(*enc, misshapen, "m.pt"),
                    Catch::Contains("'linear.weight': expected shape [256, 256], found [2, 2]"));

  w.add("decoder.weight", HostTensor::from_float({1}, {0}));
  CHECK_THROWS_WITH(load_weights(*enc, w, "m.pt"), Catch::Contains("does not have: 'decoder.weight'"));
  CHECK_THROWS_AS(enc->forward(torch::zeros({1, 10, 80})), InvalidArgument);
}
