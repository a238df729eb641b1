// The synthesizer network: shapes, Gaussian upsampling, the fast autoregressive path against
// the training graph, and loading with name/shape checks.
#include <catch2/catch.hpp>

#include <cmath>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/safetensors.hpp"
#include "core/torch_bridge.hpp"
#include "support.hpp"
#include "synth/speaker_adapter.hpp"
#include "synth/synthesizer.hpp"

using namespace dubkit;

namespace {

SynthesizerConfig tiny_config() {
  SynthesizerConfig c;
  c.n_symbols = 12;
  c.n_languages = 2;
  c.symbol_dim = 16;
  c.encoder_lstm = 8;
  c.speaker_dim = 6;
  c.language_dim = 3;
  c.duration_channels = 8;
  c.prenet = 8;
  c.decoder_lstm = 12;
  c.reduction = 2;
  c.postnet_channels = 8;
  return c;
}

SynthesizerBatch tiny_batch(const SynthesizerConfig& c) {
  SynthesizerBatch b;
  b.phones = torch::tensor({3, 5, 7, 2, 0, 1, 4, 0, 0, 0}, torch::kLong).view({2, 5});
  b.phones[0][4] = 9;
  b.phone_lengths = torch::tensor({5, 2}, torch::kLong);
  b.durations = torch::tensor({2.f, 3.f, 1.f, 4.f, 3.f, 5.f, 6.f, 0.f, 0.f, 0.f}).view({2, 5});
  b.speakers = torch::nn::functional::normalize(torch::randn({2, c.speaker_dim}),
                                                torch::nn::functional::NormalizeFuncOptions().dim(1));
  b.languages = torch::tensor({0, 1}, torch::kLong);
  b.mels = torch::rand({2, 13, c.n_mels}) * 8 - 4;
  b.mel_lengths = torch::tensor({13, 11}, torch::kLong);
  return b;
}

// A speaker adapter of the tiny model's sizes with random (not identity) values.
SpeakerAdapter random_adapter(const SynthesizerConfig& c) {
  SpeakerAdapter a(std::vector<float>(static_cast<std::size_t>(c.speaker_dim), 0.4f), c.decoder_lstm, c.n_mels);
  torch::NoGradGuard no_grad;
  for (auto& p : a->parameters()) p.copy_(torch::randn(p.sizes()) * 0.3);
  return a;
}

}  // namespace

TEST_CASE("synthesizer: teacher-forced shapes and losses' inputs", "[synth]") {
  torch::manual_seed(1);
  const SynthesizerConfig c = tiny_config();
  Synthesizer m(c);
  const SynthesizerBatch b = tiny_batch(c);
  const SynthesizerOutput out = m->forward(b);
  CHECK(out.mel.sizes().vec() == std::vector<int64_t>{2, 14, c.n_mels});  // 13 frames -> 7 steps of r = 2
  CHECK(out.mel_decoder.sizes() == out.mel.sizes());
  CHECK(out.log_durations.sizes().vec() == std::vector<int64_t>{2, 5});
  CHECK(out.weights.sizes().vec() == std::vector<int64_t>{2, 7, 5});
  // Padding phones get no weight and no duration.
  CHECK(out.weights[1].narrow(1, 2, 3).abs().max().item<float>() < 1e-6f);
  CHECK(out.log_durations[1].narrow(0, 2, 3).abs().max().item<float>() == 0.0f);
  CHECK(torch::allclose(out.weights.sum(2), torch::ones({2, 7})));
}

TEST_CASE("Gaussian upsampling follows the durations", "[synth]") {
  SynthesizerConfig c = tiny_config();
  c.reduction = 1;
  Synthesizer m(c);
  {
    // One sigma for every phone (0.6 frames): softplus(bias) + 0.1.
    torch::NoGradGuard no_grad;
    auto params = m->named_parameters();
    params["range_out.weight"].zero_();
    params["range_out.bias"].fill_(std::log(std::exp(0.5) - 1));
  }
  const torch::Tensor features = torch::randn({1, 3, c.feature_dim()});
  const torch::Tensor durations = torch::tensor({2.f, 4.f, 2.f}).view({1, 3});
  const torch::Tensor mask = torch::ones({1, 3}, torch::kBool);
  const auto [up, w] = m->upsample(features, durations, mask, 8);
  const torch::Tensor weights = w.squeeze(0);  // [frames, phones]
  // Frames inside a phone belong to it; a frame on a boundary (equidistant from two centres
  // when sigmas are equal) is shared between exactly those two phones.
  for (auto [frame, phone] : {std::pair<long, long>{0, 0}, {1, 0}, {3, 1}, {4, 1}, {6, 2}, {7, 2}}) {
    INFO("frame " << frame);
    CHECK(weights[frame].argmax().item<long>() == phone);
    CHECK(weights[frame][phone].item<float>() > 0.9f);
  }
  CHECK((weights[2][0] + weights[2][1]).item<float>() > 0.999f);
  CHECK((weights[5][1] + weights[5][2]).item<float>() > 0.999f);
  CHECK(torch::allclose(up, torch::bmm(w, features)));
}

TEST_CASE("the fast autoregressive path equals the training graph on its own frames", "[synth]") {
  torch::manual_seed(2);
  SynthesizerConfig c = tiny_config();
  c.dropout = 0.0;  // masks are drawn differently in the two paths; without dropout they must agree
  Synthesizer m(c);
  m->eval();
  torch::NoGradGuard no_grad;
  // With a speaker adapter too: generate() applies its decoder and mel maps where forward() does.
  if (GENERATE(false, true)) m->set_adapter(random_adapter(c));
  SynthesizerBatch b = tiny_batch(c);
  b.phones = b.phones.narrow(0, 0, 1);
  b.phone_lengths = b.phone_lengths.narrow(0, 0, 1);
  b.durations = b.durations.narrow(0, 0, 1);
  b.speakers = b.speakers.narrow(0, 0, 1);
  b.languages = b.languages.narrow(0, 0, 1);
  const torch::Tensor mask = torch::ones({1, 5}, torch::kBool);
  const torch::Tensor f = m->encode(b.phones, b.phone_lengths, b.speakers, b.languages);
  const torch::Tensor up = m->upsample(f, b.durations, mask, 7).first.squeeze(0);
  const auto [frames, mel] = m->generate(up, 0);
  REQUIRE(frames.sizes().vec() == std::vector<int64_t>{14, c.n_mels});
  b.mels = frames.unsqueeze(0);
  b.mel_lengths = torch::tensor({14}, torch::kLong);
  const SynthesizerOutput out = m->forward(b);
  CHECK((out.mel_decoder.squeeze(0) - frames).abs().max().item<float>() < 1e-5f);
  CHECK((out.mel.squeeze(0) - mel).abs().max().item<float>() < 1e-5f);
}

TEST_CASE("generation is a function of the seed", "[synth]") {
  torch::manual_seed(3);
  Synthesizer m(tiny_config());
  m->eval();
  const torch::Tensor up = torch::randn({6, m->config().feature_dim()});
  CHECK(torch::equal(m->generate(up, 7).second, m->generate(up, 7).second));
  CHECK(!torch::equal(m->generate(up, 7).second, m->generate(up, 8).second));
}

TEST_CASE("synthesizer files: round trip, and every tensor's name and shape checked", "[synth]") {
  torch::manual_seed(4);
  const SynthesizerConfig c = tiny_config();
  Synthesizer m(c);
  m->eval();
  std::vector<std::string> names;
  for (int i = 1; i < c.n_symbols; ++i) names.push_back("p" + std::to_string(i));
  const SymbolTable symbols(names);
  const std::string dir = test::temp_dir("synth-files");
  save_synthesizer(dir + "/s.safetensors", m, symbols, {"de", "en"}, {{"dubkit.steps", "3"}});
  LoadedSynthesizer loaded = load_synthesizer(dir + "/s.safetensors");
  CHECK(loaded.languages == std::vector<std::string>{"de", "en"});
  CHECK(loaded.symbols.symbols() == names);
  CHECK(loaded.metadata.at("dubkit.steps") == "3");
  torch::NoGradGuard no_grad;
  const torch::Tensor up = torch::randn({4, c.feature_dim()});
  CHECK(torch::equal(m->generate(up, 1).second, loaded.model->generate(up, 1).second));

  // float16 files load (widened) and stay close.
  save_synthesizer(dir + "/h.safetensors", m, symbols, {"de", "en"}, {}, /*half=*/true);
  LoadedSynthesizer half = load_synthesizer(dir + "/h.safetensors");
  CHECK((half.model->generate(up, 1).second - m->generate(up, 1).second).abs().max().item<float>() < 0.05f);

  // A tensor of the wrong shape is named with expected and found shapes.
  TensorDict w = module_weights(*m);
  for (std::size_t i = 0; i < w.size(); ++i)
    if (w.items()[i].first == "projection.weight") w.tensor(i) = to_host(torch::zeros({3, 3}));
  SafetensorsFile original(dir + "/s.safetensors");
  write_safetensors(dir + "/bad.safetensors", w, original.metadata());
  try {
    load_synthesizer(dir + "/bad.safetensors");
    FAIL("loaded a synthesizer with a wrong tensor shape");
  } catch (const FormatError& e) {
    CHECK(std::string(e.what()).find("projection.weight") != std::string::npos);
  }
  // Not a synthesizer at all.
  write_safetensors(dir + "/other.safetensors", w, {{"dubkit.model", "speaker_encoder"}});
  CHECK_THROWS_AS(load_synthesizer(dir + "/other.safetensors"), FormatError);
}

TEST_CASE("synthesizer config: validation and JSON", "[synth]") {
  SynthesizerConfig c = tiny_config();
  CHECK(SynthesizerConfig::from_json(c.to_json(), "x").to_json() == c.to_json());
  c.reduction = 0;
  CHECK_THROWS_AS(c.validate(), InvalidArgument);
  c = tiny_config();
  c.postnet_kernel = 4;
  CHECK_THROWS_AS(c.validate(), InvalidArgument);
  CHECK_THROWS_AS(SynthesizerConfig::from_json("{\"reduction\": \"two\"}", "x"), FormatError);
  CHECK_THROWS_AS(SynthesizerConfig::from_json("[1]", "x"), FormatError);
  // The mel preset: a config without one (files before 22.05 kHz synthesizers) is wav2lip-16k;
  // only symmetric [-4, 4] presets with as many bands as n_mels are accepted.
  c = tiny_config();
  nlohmann::json without = nlohmann::json::parse(c.to_json());
  without.erase("mel_preset");
  CHECK(SynthesizerConfig::from_json(without.dump(), "x").mel_preset == "wav2lip-16k");
  c.mel_preset = "dubkit-22k";
  CHECK(SynthesizerConfig::from_json(c.to_json(), "x").mel_preset == "dubkit-22k");
  c.mel_preset = "hifigan-22k";
  CHECK_THROWS_WITH(c.validate(), Catch::Contains("symmetric"));
  c.mel_preset = "dubkit-48k";
  CHECK_THROWS_WITH(c.validate(), Catch::Contains("dubkit-22k"));  // the known names
  c.mel_preset = "dubkit-22k";
  c.n_mels = 40;
  CHECK_THROWS_WITH(c.validate(), Catch::Contains("n_mels"));
  CHECK_THROWS_AS(SynthesizerConfig::from_json("{\"mel_preset\": 22}", "x"), FormatError);
}

TEST_CASE("speaker adapter: identity at first, shapes every output once trained, sizes checked", "[synth]") {
  torch::manual_seed(6);
  const SynthesizerConfig c = tiny_config();
  Synthesizer m(c);
  m->eval();
  torch::NoGradGuard no_grad;
  const SynthesizerBatch b = tiny_batch(c);
  torch::manual_seed(1);
  const SynthesizerOutput base = m->forward(b);
  m->set_adapter(SpeakerAdapter(std::vector<float>(static_cast<std::size_t>(c.speaker_dim), 0.4f), c.decoder_lstm, c.n_mels));
  CHECK(m->adapter()->parameter_count() == c.speaker_dim + 2 * c.decoder_lstm + 2 * c.n_mels + 1);
  torch::manual_seed(1);
  const SynthesizerOutput identity = m->forward(b);
  CHECK(torch::allclose(identity.mel, base.mel));
  CHECK(torch::allclose(identity.log_durations, base.log_durations));

  const SpeakerAdapter a = random_adapter(c);
  m->set_adapter(a);
  torch::manual_seed(1);
  const SynthesizerOutput adapted = m->forward(b);
  CHECK(!torch::allclose(adapted.mel, base.mel));
  // The duration shift moves every real phone's log duration by the same amount.
  const torch::Tensor moved = (adapted.log_durations - base.log_durations).select(0, 0);
  CHECK(torch::allclose(moved, a->duration_shift.expand({5}), 1e-5, 1e-5));

  // Values round-trip through the stored form; a wrong name or size is named.
  SpeakerAdapter copy(std::vector<float>(static_cast<std::size_t>(c.speaker_dim), 0.f), c.decoder_lstm, c.n_mels);
  copy->load_values(a->values(), "test");
  CHECK(copy->values() == a->values());
  auto values = a->values();
  values["mel_shift"].pop_back();
  CHECK_THROWS_WITH(copy->load_values(values, "p.voice"), Catch::Contains("mel_shift") && Catch::Contains("expected"));
  values = a->values();
  values.erase("decoder_scale");
  CHECK_THROWS_WITH(copy->load_values(values, "p.voice"), Catch::Contains("decoder_scale") && Catch::Contains("missing"));
  values = a->values();
  values["extra"] = {1.f};
  CHECK_THROWS_WITH(copy->load_values(values, "p.voice"), Catch::Contains("unknown") && Catch::Contains("extra"));
  // An adapter made for another synthesizer's sizes does not fit.
  CHECK_THROWS_AS(m->set_adapter(SpeakerAdapter(std::vector<float>(3, 0.f), c.decoder_lstm, c.n_mels)), InvalidArgument);
  m->set_adapter(nullptr);
  torch::manual_seed(1);
  CHECK(torch::allclose(m->forward(b).mel, base.mel));
}
