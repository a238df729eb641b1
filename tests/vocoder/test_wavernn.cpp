#include <catch2/catch.hpp>

#include <cmath>
#include <set>

#include "core/error.hpp"
#include "core/safetensors.hpp"
#include "core/torch_bridge.hpp"
#include "support.hpp"
#include "vocoder/wavernn.hpp"

using namespace dubkit;

namespace {

// Small enough to run in milliseconds, with every structural feature of the SV2TTS model
// (three upsample stages, residual blocks, four aux groups).
WaveRNNConfig small_config() {
  WaveRNNConfig c;
  c.rnn_dims = 64;
  c.fc_dims = 64;
  c.res_blocks = 2;
  c.compute_dims = 32;
  c.res_out_dims = 32;
  return c;
}

// Random weights, and BatchNorm statistics away from (0, 1) so eval mode visibly matters.
WaveRNN random_model(std::uint64_t seed, const WaveRNNConfig& c = small_config()) {
  torch::manual_seed(seed);
  WaveRNN m(c);
  torch::NoGradGuard no_grad;
  for (auto& b : m->named_buffers()) {
    if (b.key().find("running_mean") != std::string::npos) b.value().uniform_(-0.5, 0.5);
    if (b.key().find("running_var") != std::string::npos) b.value().uniform_(0.5, 2.0);
  }
  for (auto& p : m->named_parameters())
    if (p.key().find("batch_norm") != std::string::npos) p.value().uniform_(-1.0, 1.0);
  m->eval();
  return m;
}

FeatureMatrix random_mel(int frames, std::uint64_t seed) {
  torch::manual_seed(seed);
  const torch::Tensor t = torch::rand({80, frames}) * 8 - 4;  // wav2lip-16k range
  FeatureMatrix m(80, frames);
  std::copy(t.data_ptr<float>(), t.data_ptr<float>() + t.numel(), m.data.begin());
  return m;
}

template <class E, class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "(no exception of the expected type)";
}

}  // namespace

TEST_CASE("WaveRNN tensor names are the public SV2TTS state-dict keys", "[wavernn]") {
  // fatchord_version.py: WaveRNN.{upsample, I, rnn1, rnn2, fc1, fc2, fc3, step}, UpsampleNetwork
  // .{resnet, up_layers (Stretch2d, Conv2d) x 3}, MelResNet.{conv_in, batch_norm, layers, conv_out}.
  std::set<std::string> expected{"step", "I.weight", "I.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias",
                                 "fc3.weight", "fc3.bias", "upsample.resnet.conv_in.weight",
                                 "upsample.resnet.conv_out.weight", "upsample.resnet.conv_out.bias",
                                 "upsample.up_layers.1.weight", "upsample.up_layers.3.weight",
                                 "upsample.up_layers.5.weight"};
  auto batch_norm = [&](const std::string& prefix) {
    for (const char* s : {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"})
      expected.insert(prefix + "." + s);
  };
  batch_norm("upsample.resnet.batch_norm");
  for (int i = 0; i < 2; ++i) {
    const std::string l = "upsample.resnet.layers." + std::to_string(i);
    expected.insert(l + ".conv1.weight");
    expected.insert(l + ".conv2.weight");
    batch_norm(l + ".batch_norm1");
    batch_norm(l + ".batch_norm2");
  }
  for (const char* rnn : {"rnn1", "rnn2"})
    for (const char* s : {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"})
      expected.insert(std::string(rnn) + "." + s);

  WaveRNN m(small_config());
  const TensorDict w = module_weights(*m);
  std::set<std::string> got;
  for (const auto& [name, t] : w.items()) got.insert(name);
  CHECK(got == expected);
  CHECK(w.at("step").dtype == DType::I64);
  CHECK(w.at("upsample.up_layers.5.weight").shape == std::vector<std::int64_t>{1, 1, 1, 17});
  CHECK(w.at("I.weight").shape == std::vector<std::int64_t>{64, 1 + 80 + 8});
  CHECK(w.at("rnn2.weight_ih_l0").shape == std::vector<std::int64_t>{192, 64 + 8});
  CHECK(w.at("upsample.resnet.conv_in.weight").shape == std::vector<std::int64_t>{32, 80, 5});
  CHECK(w.at("fc3.weight").shape == std::vector<std::int64_t>{512, 64});
}

TEST_CASE("WaveRNN config validation names the field", "[wavernn]") {
  CHECK_NOTHROW(WaveRNNConfig{}.validate());
  WaveRNNConfig c;
  c.upsample_factors = {5, 5, 4};
  CHECK_THROWS_AS(c.validate(), InvalidArgument);
  CHECK_THROWS_WITH(c.validate(), Catch::Contains("hop_length"));
  c = {};
  c.res_out_dims = 30;
  CHECK_THROWS_WITH(c.validate(), Catch::Contains("res_out_dims"));
  c = {};
  c.pad = 0;
  CHECK_THROWS_WITH(c.validate(), Catch::Contains("pad"));

  const WaveRNNConfig s = small_config();
  const WaveRNNConfig back = WaveRNNConfig::from_json(s.to_json(), "test");
  CHECK(back.to_json() == s.to_json());
  CHECK_THROWS_AS(WaveRNNConfig::from_json(R"({"upsample_factors": [5, 5]})", "x.json"), FormatError);
}

TEST_CASE("WaveRNN fast step kernel equals the LibTorch forward, teacher-forced", "[wavernn]") {
  WaveRNN m = random_model(11);
  const WaveRNNConfig& c = m->config();
  for (int rows : {1, 3}) {
    INFO("rows " << rows);
    torch::manual_seed(100 + rows);
    const int frames = 3;  // 600 samples: several kernel chunks and a partial one
    const torch::Tensor mels = torch::rand({rows, 80, frames + 2 * c.pad}) * 2 - 1;
    const torch::Tensor x = torch::rand({rows, frames * c.hop_length}) * 2 - 1;
    torch::Tensor reference;
    {
      torch::NoGradGuard no_grad;
      reference = m->forward(x, mels);
    }
    const torch::Tensor fast = m->step_logits(x, mels);
    REQUIRE(fast.sizes() == reference.sizes());
    CHECK(reference.abs().max().item<float>() > 0.05f);  // not a trivially small comparison
    CHECK((fast - reference).abs().max().item<float>() < 1e-4f);
  }
  m->train();
  CHECK_THROWS_AS(m->step_logits(torch::zeros({1, 200}), torch::zeros({1, 80, 5})), InvalidArgument);
}

TEST_CASE("WaveRNN generation is deterministic for a seed", "[wavernn]") {
  WaveRNN m = random_model(12);
  const FeatureMatrix mel = random_mel(5, 3);
  for (bool batched : {false, true}) {
    INFO("batched " << batched);
    WaveRNNOptions o;
    o.batched = batched;
    o.target = 300;
    o.overlap = 50;
    o.seed = 1;
    const Waveform a = m->generate(mel, o);
    const Waveform b = m->generate(mel, o);
    o.seed = 2;
    const Waveform other = m->generate(mel, o);
    CHECK(a.rate == 16000);
    CHECK(a.samples == b.samples);
    CHECK(a.samples != other.samples);
    for (float v : a.samples) REQUIRE(std::isfinite(v));
  }
}

TEST_CASE("WaveRNN fades out its last 20 hops unless told not to", "[wavernn]") {
  WaveRNN m = random_model(12);
  const FeatureMatrix mel = random_mel(30, 3);  // 29 hops of output, 20 of them faded
  WaveRNNOptions o;
  o.batched = false;
  o.seed = 1;
  const Waveform faded = m->generate(mel, o);
  o.fade_out = false;
  const Waveform plain = m->generate(mel, o);
  REQUIRE(faded.samples.size() == plain.samples.size());
  const std::size_t fade_start = faded.samples.size() - 20 * 200;
  bool differs = false;
  for (std::size_t i = 0; i < faded.samples.size(); ++i) {
    if (i < fade_start) REQUIRE(faded.samples[i] == plain.samples[i]);  // same draws before the fade
    else differs = differs || faded.samples[i] != plain.samples[i];
  }
  CHECK(differs);
  CHECK(faded.samples.back() == 0.0f);  // linspace(1, 0) ends at 0
}

TEST_CASE("WaveRNN fold and crossfade follow the public code", "[wavernn]") {
  // total 25, target 5, overlap 4: 21 // 9 = 2 folds cover 22, the rest makes a third.
  std::vector<float> x(25);
  for (int i = 0; i < 25; ++i) x[i] = 1.0f + i;
  const FoldedSignal f = fold_with_overlap(x.data(), 25, 1, 5, 4);
  REQUIRE(f.folds == 3);
  REQUIRE(f.length == 13);
  for (long i = 0; i < f.folds; ++i)
    for (long j = 0; j < f.length; ++j) {
      const long src = i * 9 + j;
      CHECK(f.data[i * 13 + j] == (src < 25 ? x[src] : 0.0f));
    }

  // overlap 4: 2 samples of silence, then a 2-point equal-power fade (linspace(-1, 1, 2)), so
  // fade_in = {0, 0, 0, 1} and fade_out = {1, 0, 0, 0}.
  const std::vector<double> y(f.data.begin(), f.data.end());
  const std::vector<double> u = xfade_and_unfold(y, f.folds, 4);
  REQUIRE(u.size() == 3 * 9 + 4);
  const double fade_in[] = {0, 0, 0, 1}, fade_out[] = {1, 0, 0, 0};
  for (long p = 0; p < static_cast<long>(u.size()); ++p) {
    const double v = p < 25 ? x[p] : 0.0;
    const long fold = p / 9, j = p % 9;  // p is in fold `fold`'s overlap-in region when j < 4
    double gain = 1;
    if (j < 4) gain = (fold < 3 ? fade_in[j] : 0.0) + (fold > 0 ? fade_out[j] : 0.0);
    INFO("sample " << p);
    CHECK(u[p] == Approx(v * gain));
  }

  // The SV2TTS sizes: every target sample comes back unchanged.
  std::vector<float> s(20000);
  for (std::size_t i = 0; i < s.size(); ++i) s[i] = std::sin(0.01f * i);
  const FoldedSignal g = fold_with_overlap(s.data(), 20000, 1, 8000, 400);
  REQUIRE(g.folds == 3);
  const std::vector<double> back = xfade_and_unfold(std::vector<double>(g.data.begin(), g.data.end()), g.folds, 400);
  for (long i = 0; i < g.folds; ++i)
    for (long j = 400; j < 8400; ++j) {
      const long p = i * 8400 + j;
      if (p < 20000) REQUIRE(back[p] == Approx(s[p]).margin(1e-7));
    }
}

TEST_CASE("WaveRNN output is (frames - 1) hops long, folded or not", "[wavernn]") {
  WaveRNN m = random_model(13);
  const FeatureMatrix mel = random_mel(5, 4);
  WaveRNNOptions o;
  o.seed = 5;
  o.target = 300;  // 1000 conditioning samples -> 3 folds
  o.overlap = 50;
  CHECK(m->generate(mel, o).samples.size() == 4 * 200);
  o.batched = false;
  CHECK(m->generate(mel, o).samples.size() == 4 * 200);
  o.batched = true;
  o.target = 8000;  // one fold longer than the utterance
  o.overlap = 400;
  CHECK(m->generate(mel, o).samples.size() == 4 * 200);
}

TEST_CASE("WaveRNN loads by state-dict name and reports what is wrong", "[wavernn]") {
  const std::string dir = test::temp_dir("wavernn-files");
  WaveRNN m = random_model(14);
  const TensorDict all = module_weights(*m);

  auto write_without = [&](const std::string& path, const std::string& drop, const std::string& reshape) {
    TensorDict d;
    for (const auto& [name, t] : all.items()) {
      if (name == drop) continue;
      if (name == reshape) {
        d.add(name, HostTensor::from_float({t.shape[0], t.shape[1] + 1}, std::vector<float>(t.shape[0] * (t.shape[1] + 1))));
        continue;
      }
      d.add(name, t);
    }
    write_safetensors(path, d);
  };
  const std::string missing = dir + "/missing.safetensors";
  write_without(missing, "rnn2.bias_hh_l0", "");
  CHECK_THROWS_AS(load_wavernn(missing, small_config()), FormatError);
  CHECK_THROWS_WITH(load_wavernn(missing, small_config()),
                    Catch::Contains("missing.safetensors") && Catch::Contains("rnn2.bias_hh_l0"));

  const std::string wrong = dir + "/wrong.safetensors";
  write_without(wrong, "", "fc1.weight");
  CHECK_THAT(error_of<FormatError>([&] { load_wavernn(wrong, small_config()); }),
             Catch::Contains("fc1.weight") && Catch::Contains("expected shape [64, 72]") &&
                 Catch::Contains("found [64, 73]"));

  // save_wavernn keeps the config, so the file loads without one and generates the same audio.
  const std::string saved = dir + "/model.safetensors";
  save_wavernn(saved, m);
  WaveRNN back = load_wavernn(saved);
  CHECK(back->config().to_json() == m->config().to_json());
  CHECK_FALSE(back->is_training());
  WaveRNNOptions o;
  o.seed = 9;
  const FeatureMatrix mel = random_mel(3, 6);
  CHECK(back->generate(mel, o).samples == m->generate(mel, o).samples);
}

TEST_CASE("WaveRNN rejects bad mels and options clearly", "[wavernn]") {
  WaveRNN m = random_model(15);
  CHECK_THROWS_AS(m->generate(FeatureMatrix(79, 4)), InvalidArgument);
  CHECK_THROWS_WITH(m->generate(FeatureMatrix(79, 4)), Catch::Contains("79 bands") && Catch::Contains("80"));
  CHECK_THROWS_AS(m->generate(FeatureMatrix(80, 0)), InvalidArgument);
  CHECK_THROWS_WITH(m->generate(FeatureMatrix(80, 0)), Catch::Contains("0 frames"));
  FeatureMatrix nan = random_mel(4, 2);
  nan.at(7, 2) = std::nanf("");
  CHECK_THROWS_AS(m->generate(nan), InvalidArgument);
  CHECK_THROWS_WITH(m->generate(nan), Catch::Contains("non-finite") && Catch::Contains("band 7, frame 2"));
  WaveRNNOptions o;
  o.target = 0;
  CHECK_THROWS_WITH(m->generate(random_mel(4, 2), o), Catch::Contains("target"));
  m->train();
  CHECK_THROWS_WITH(m->generate(random_mel(4, 2)), Catch::Contains("training mode"));
}

TEST_CASE("mu-law round trip stays within one quantisation step", "[wavernn]") {
  constexpr int bits = 9;
  CHECK(mu_law_encode(-1.0, bits) == 0);
  CHECK(mu_law_encode(1.0, bits) == 511);
  CHECK(mu_law_decode(label_to_float(0, bits), bits) == Approx(-1.0));
  CHECK(mu_law_decode(label_to_float(511, bits), bits) == Approx(1.0));
  int previous = -1;
  for (int i = -1000; i <= 1000; ++i) {
    const double x = i / 1000.0;
    const int label = mu_law_encode(x, bits);
    REQUIRE(label >= previous);  // monotone
    previous = label;
    // The label's cell is [y - 1/mu, y + 1/mu] in the companded domain (levels are 2/mu apart).
    const double y = label_to_float(label, bits);
    INFO("x = " << x << ", label " << label);
    CHECK(x >= mu_law_decode(std::max(y - 1.0 / 511, -1.0), bits) - 1e-12);
    CHECK(x <= mu_law_decode(std::min(y + 1.0 / 511, 1.0), bits) + 1e-12);
    CHECK(std::fabs(mu_law_decode(y, bits) - x) < 0.013);  // the widest cell, at |x| = 1
  }
}
