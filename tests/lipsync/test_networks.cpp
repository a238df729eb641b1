// The Wav2Lip generator and its colour SyncNet expert against the public implementation
// (Rudrabha/Wav2Lip 5c90fa9), and the public SyncNet evaluation model (joonson/syncnet_python
// 6efbb1c, tests/data/make_syncnet_v2_fixture.py): outputs for the deterministic PATTERN weights
// of ../shared/fixtures/reference/README.md, and every tensor name and shape of the public models.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "core/safetensors.hpp"
#include "core/torch_bridge.hpp"
#include "lipsync/conv_block.hpp"
#include "lipsync/syncnet.hpp"
#include "lipsync/syncnet_v2.hpp"
#include "lipsync/wav2lip.hpp"
#include "support.hpp"

using namespace dubkit;

namespace {

struct KeyEntry {
  std::string name;
  std::vector<std::int64_t> shape;
};

// `name<TAB>[d0, d1, ...]` per line, state-dict order.
std::vector<KeyEntry> read_keys(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in);
  std::vector<KeyEntry> keys;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto tab = line.find('\t');
    REQUIRE(tab != std::string::npos);
    KeyEntry k{line.substr(0, tab), {}};
    std::string dims = line.substr(tab + 1);
    for (char& ch : dims)
      if (ch == '[' || ch == ']' || ch == ',') ch = ' ';
    std::istringstream ds(dims);
    for (std::int64_t d; ds >> d;) k.shape.push_back(d);
    keys.push_back(std::move(k));
  }
  return keys;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// The README's PATTERN weights, entry k of the keys file in order.
TensorDict pattern_weights(const std::vector<KeyEntry>& keys) {
  TensorDict dict;
  for (std::size_t k = 0; k < keys.size(); ++k) {
    const auto& [name, shape] = keys[k];
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    if (ends_with(name, "num_batches_tracked")) {
      HostTensor t{DType::I64, shape, std::vector<std::byte>(n * 8, std::byte{0})};
      dict.add(name, std::move(t));
      continue;
    }
    std::vector<float> v(n);
    for (std::int64_t i = 0; i < n; ++i) {
      const double base = std::sin(0.1 * static_cast<double>(i + 1) + 0.7 * static_cast<double>(k));
      double w;
      if (ends_with(name, "running_var")) w = 1 + 0.5 * base * base;
      else if (shape.size() >= 2) w = base / std::sqrt(static_cast<double>(n) / static_cast<double>(shape[0]));
      else if (ends_with(name, ".weight")) w = 1 + 0.3 * base;
      else w = 0.05 * base;
      v[i] = static_cast<float>(w);
    }
    dict.add(name, HostTensor::from_float(shape, v));
  }
  return dict;
}

// Every tensor of `module` appears in `keys` with the same shape, and the counts agree.
void check_names(const torch::nn::Module& module, const std::vector<KeyEntry>& keys) {
  const TensorDict ours = module_weights(module);
  CHECK(ours.size() == keys.size());
  for (const auto& k : keys) {
    const HostTensor* t = ours.find(k.name);
    INFO(k.name);
    REQUIRE(t != nullptr);
    CHECK(t->shape == k.shape);
  }
}

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

TEST_CASE("SyncNet colour expert: public names, shapes and embeddings for PATTERN weights", "[lipsync][golden]") {
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

TEST_CASE("SyncNet v2 (public evaluation model): public names, shapes and embeddings for PATTERN weights",
          "[lipsync][golden]") {
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

TEST_CASE("load_syncnet_v2 checks every tensor and names all that are wrong", "[lipsync]") {
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
