// The colour SyncNet expert of Wav2Lip against the public implementation (Rudrabha/Wav2Lip
// 5c90fa9), and the public SyncNet evaluation model (joonson/syncnet_python 6efbb1c,
// tests/fixtures/make_syncnet_v2_fixture.py): outputs for the deterministic PATTERN weights of
// tests/fixtures/reference/README.md, and every tensor name and shape of the public models.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/error.hpp"
#include "core/safetensors.hpp"
#include "core/torch_bridge.hpp"
#include "lipsync/public_weights.hpp"
#include "support.hpp"
#include "sync/syncnet.hpp"
#include "sync/syncnet_v2.hpp"

using namespace dubkit;
using namespace dubkit::test;

namespace {

// make_syncnet_v2_fixture.py's inputs: [batch, sample...], float32 from double; in sample b,
// flat element i (row-major within the sample) is f(i, b).
template <class F>
torch::Tensor formula_input(const std::vector<std::int64_t>& sample, int batch, F f) {
  std::int64_t n = 1;
  for (auto d : sample) n *= d;
  std::vector<float> v(static_cast<std::size_t>(batch * n));
  for (int b = 0; b < batch; ++b)
    for (std::int64_t i = 0; i < n; ++i) v[static_cast<std::size_t>(b * n + i)] = static_cast<float>(f(static_cast<double>(i), b));
  std::vector<std::int64_t> shape{batch};
  shape.insert(shape.end(), sample.begin(), sample.end());
  return torch::from_blob(v.data(), shape, torch::kFloat32).clone();
}

torch::Tensor syncnet_v2_mfcc() {
  return formula_input({1, 13, 20}, 2, [](double i, int b) { return 10 * std::sin(0.37 * i + b); });
}
torch::Tensor syncnet_v2_lips() {
  return formula_input({3, 5, 224, 224}, 2, [](double i, int b) { return 127.5 + 127.5 * std::sin(0.013 * i + b); });
}

std::vector<float> values(const torch::Tensor& t) {
  const torch::Tensor c = t.contiguous().to(torch::kFloat32);
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

// max |got - ref| / max |ref| (test::normalized_max_error), after the shapes agree.
double error_against(const torch::Tensor& got, const HostTensor& ref) {
  const torch::Tensor r = to_torch(ref);
  REQUIRE(got.sizes() == r.sizes());
  return test::normalized_max_error(values(got), values(r));
}

}  // namespace

TEST_CASE("SyncNet colour expert: public names, shapes and embeddings for PATTERN weights", "[sync][golden]") {
  const auto keys = read_keys(test::fixture("syncnet_color_keys.txt"));
  SyncNet s;
  check_names(*s, keys);
  load_weights(*s, pattern_weights(keys), "PATTERN");
  s->eval();
  SafetensorsFile io(test::fixture("syncnet_color_pattern_io.safetensors"));
  torch::NoGradGuard no_grad;
  const auto [audio, face] = s->forward(to_torch(io.at("mel").copy()), to_torch(io.at("faces").copy()));
  const torch::Tensor audio_ref = to_torch(io.at("audio_emb").copy());
  const torch::Tensor face_ref = to_torch(io.at("face_emb").copy());
  REQUIRE(audio.sizes() == audio_ref.sizes());
  REQUIRE(face.sizes() == face_ref.sizes());
  CHECK((audio - audio_ref).abs().max().item<float>() < 1e-4f);
  CHECK((face - face_ref).abs().max().item<float>() < 1e-4f);
  // Unit vectors spread over many dims: a 1e-4 tolerance is small against their entries.
  CHECK(audio_ref.abs().max().item<float>() > 0.01f);
  CHECK(face_ref.abs().max().item<float>() > 0.01f);
}

TEST_CASE("SyncNet v2 (public evaluation model): public names, shapes and embeddings for PATTERN weights",
          "[sync][golden]") {
  const auto keys = read_keys(test::test_data("syncnet_v2_keys.txt"));
  SyncNetV2 s;
  check_names(*s, keys);
  load_weights(*s, pattern_weights(keys), "PATTERN");
  s->eval();
  SafetensorsFile io(test::test_data("syncnet_v2_pattern_io.safetensors"));
  const torch::Tensor mfcc = syncnet_v2_mfcc();
  // The stored input is the formula's (up to the last bit of sin in two libms).
  REQUIRE(error_against(mfcc, io.at("mfcc").copy()) < 1e-6);
  torch::NoGradGuard no_grad;
  const torch::Tensor lips = syncnet_v2_lips();
  // Relative to each output's largest entry (normalized_max_error), 1e-4 as for the colour
  // expert: the early layers carry values in the hundreds (pixels 0..255, unscaled), so float32
  // rounding there is absolute noise of ~1e-5 on features of ~0.1; an absolute bound would
  // depend on that scale, a relative one does not. Any wrong stride, padding or layer order
  // moves these outputs by percents.
  CHECK(error_against(s->audio_features(mfcc), io.at("audio_feat").copy()) < 1e-4);
  CHECK(error_against(s->face_features(lips), io.at("face_feat").copy()) < 1e-4);
  CHECK(error_against(s->embed_audio(mfcc), io.at("audio_emb").copy()) < 1e-4);
  CHECK(error_against(s->embed_faces(lips), io.at("face_emb").copy()) < 1e-4);
  // With these weights the heads' biases dominate the embeddings; the features, though, differ
  // between the two samples far more than the tolerance, so they do depend on the input.
  for (const char* name : {"audio_feat", "face_feat"}) {
    INFO(name);
    const torch::Tensor ref = to_torch(io.at(name).copy());
    CHECK((ref[0] - ref[1]).abs().max().item<float>() > 1e-3f * ref.abs().max().item<float>());
  }
  // A wrong input shape is refused with the expected one.
  CHECK_THROWS_WITH(s->embed_audio(torch::zeros({1, 1, 13, 16})), Catch::Contains("[B, 1, 13, 20]"));
  CHECK_THROWS_WITH(s->embed_faces(torch::zeros({1, 5, 3, 224, 224})), Catch::Contains("[B, 3, 5, 224, 224]"));
}

TEST_CASE("load_syncnet_v2 checks every tensor and names all that are wrong", "[sync]") {
  const auto keys = read_keys(test::test_data("syncnet_v2_keys.txt"));
  const TensorDict pattern = pattern_weights(keys);
  const std::string dir = test::temp_dir("syncnet_v2");

  // Without num_batches_tracked (as files of PyTorch < 0.4 are): loads, in eval mode, with the
  // PATTERN outputs.
  TensorDict old_style;
  for (const auto& [name, t] : pattern.items())
    if (!ends_with(name, "num_batches_tracked")) old_style.add(name, t);
  REQUIRE(old_style.size() + 14 == pattern.size());
  write_safetensors(dir + "/old_style.safetensors", old_style);
  SyncNetV2 s = load_syncnet_v2(dir + "/old_style.safetensors");
  CHECK_FALSE(s->is_training());
  SafetensorsFile io(test::test_data("syncnet_v2_pattern_io.safetensors"));
  torch::NoGradGuard no_grad;
  CHECK(error_against(s->embed_audio(syncnet_v2_mfcc()), io.at("audio_emb").copy()) < 1e-4);

  // One tensor missing, one of the wrong shape, one the model does not have: all three named.
  TensorDict bad;
  for (const auto& [name, t] : pattern.items()) {
    if (name == "netfcaud.3.bias") continue;
    if (name == "netcnnlip.18.weight") bad.add(name, HostTensor::from_float({512, 256, 1, 5, 5}, std::vector<float>(512 * 256 * 25)));
    else bad.add(name, t);
  }
  bad.add("netfcaud.4.weight", HostTensor::from_float({2}, {1, 2}));
  const std::string path = dir + "/bad.safetensors";
  write_safetensors(path, bad);
  CHECK_THROWS_AS(load_syncnet_v2(path), FormatError);
  CHECK_THROWS_WITH(load_syncnet_v2(path), Catch::Contains(path) && Catch::Contains("missing 'netfcaud.3.bias' (expected [1024])") &&
                                               Catch::Contains("'netcnnlip.18.weight': expected [512, 256, 1, 6, 6], found [512, 256, 1, 5, 5]") &&
                                               Catch::Contains("unexpected 'netfcaud.4.weight'"));
  CHECK_THROWS_AS(load_syncnet_v2(dir + "/absent.model"), IoError);
}
