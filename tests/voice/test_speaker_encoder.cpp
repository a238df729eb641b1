// The GE2E encoder against SV2TTS (CorentinJ/Real-Time-Voice-Cloning 865eba8): the public
// code's own output for its own checkpoint (tests/fixtures/reference/rtvc_encoder*).
#include <catch2/catch.hpp>

#include "core/checkpoint.hpp"
#include "core/error.hpp"
#include "core/safetensors.hpp"
#include "core/torch_bridge.hpp"
#include "support.hpp"
#include "voice/speaker_encoder.hpp"

using namespace dubkit;

namespace {
// The public SV2TTS checkpoint, loaded by name, in eval mode.
SpeakerEncoder reference_encoder() {
  SpeakerEncoder enc;
  const std::string pt = test::fixture("rtvc_encoder.pt");
  load_weights(*enc, load_torch_checkpoint(pt), pt);
  enc->eval();
  return enc;
}
}  // namespace

TEST_CASE("the public SV2TTS checkpoint loads by name and reproduces its embedding", "[voice][golden]") {
  SpeakerEncoder enc = reference_encoder();
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

TEST_CASE("partial windows follow SV2TTS compute_partial_slices", "[voice]") {
  // Expected values worked by hand from that function. 67520 samples (the fixture):
  // ceil(67521 / 160) = 423 frames, step 80, range(0, 344, 80) = 0..320; the window at 320
  // covers (67520 - 51200) / 25600 = 0.64 < 0.75 of real audio and is dropped.
  const PartialWindows w = partial_windows(67520);
  CHECK(w.starts == std::vector<int>{0, 80, 160, 240});
  CHECK(w.padded_samples == 67520);  // the last window ends at 64000: no padding
  // 1 s: 101 frames -> one window of 160 frames, zero-padded to 25600 samples.
  const PartialWindows one = partial_windows(16000);
  CHECK(one.starts == std::vector<int>{0});
  CHECK(one.padded_samples == 25600);
  // 3 s: 301 frames, steps 222 -> 0, 80, 160; the last covers (48000 - 25600) / 25600 = 0.875.
  CHECK(partial_windows(48000).starts == std::vector<int>{0, 80, 160});
  // 2.7 s: 271 frames, steps 192 -> 0, 80, 160; the last covers 0.6875 < 0.75 and is dropped.
  CHECK(partial_windows(43200).starts == std::vector<int>{0, 80});
}

TEST_CASE("utterance embedding averages the partial embeddings", "[voice]") {
  SpeakerEncoder enc = reference_encoder();
  SafetensorsFile io(test::fixture("rtvc_encoder_io.safetensors"));
  Waveform w{16000, io.at("wav16").to_float()};
  torch::NoGradGuard no_grad;
  const torch::Tensor e = embed_utterance(enc, w);
  CHECK(e.sizes() == torch::IntArrayRef{256});
  CHECK(e.norm().item<float>() == Approx(1.0f).margin(1e-5));
  // The first window is the fixture's `partial` (frames 0..159 of the reference mel), so its
  // embedding is the reference `embed`; the utterance embedding must lean towards it.
  const torch::Tensor first = to_torch(io.at("embed").copy()).view({256});
  CHECK(torch::dot(e, first).item<float>() > 0.5f);
  CHECK_THROWS_AS(embed_utterance(enc, Waveform{22050, std::vector<float>(22050, 0.1f)}), InvalidArgument);
}

TEST_CASE("the inference LSTM path equals torch::nn::LSTM", "[voice]") {
  torch::manual_seed(11);
  for (bool log_input : {false, true}) {
    SpeakerEncoder enc(SpeakerEncoderConfig{40, 32, 3, 16, log_input});
    torch::NoGradGuard no_grad;
    const torch::Tensor mels = torch::rand({3, 50, 40}) * 5;
    enc->train();  // training mode runs torch::nn::LSTM
    const torch::Tensor reference = enc->forward(mels);
    enc->eval();   // eval without autograd runs the hand-written loop
    const torch::Tensor fast = enc->forward(mels);
    CHECK((fast - reference).abs().max().item<float>() < 1e-6f);
    CHECK(reference.abs().max().item<float>() > 0.1f);  // not a degenerate all-zero output
  }
}
