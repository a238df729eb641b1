// The vocoder interface: every vocoder behind it gives T * hop samples, refuses bad mels with a
// clear message, and dubkit's own files round-trip; the public HiFi-GAN release opens by path.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>

#include "audio/mel_cepstral_distortion.hpp"
#include "audio/mel_file.hpp"
#include "core/error.hpp"
#include "core/safetensors.hpp"
#include "core/torch_bridge.hpp"
#include "support.hpp"
#include "vocoder/convnext_vocoder.hpp"
#include "vocoder/vocoder.hpp"
#include "vocoder/wavernn.hpp"

using namespace dubkit;
namespace fs = std::filesystem;

namespace {

ConvNextVocoderConfig tiny_config() {
  ConvNextVocoderConfig c;
  c.dim = 16;
  c.intermediate = 32;
  c.layers = 2;
  return c;
}

// A small random ConvNeXt vocoder written as a dubkit file.
std::string tiny_vocoder_file() {
  static const std::string path = [] {
    torch::manual_seed(3);
    ConvNextVocoder m(tiny_config());
    const std::string p = test::temp_dir("vocoder_file") + "/v.safetensors";
    save_vocoder(p, *m, "convnext-istft", m->config().to_json());
    return p;
  }();
  return path;
}

FeatureMatrix speech_mel(const Vocoder& v, double seconds) {
  return v.analyzer().compute(test::test_tone(v.preset().sample_rate, seconds));
}

}  // namespace

// A small random WaveRNN with the SV2TTS framing, written as a dubkit file.
static std::string tiny_wavernn_file() {
  torch::manual_seed(4);
  WaveRNNConfig c;
  c.rnn_dims = 16;
  c.fc_dims = 16;
  c.compute_dims = 8;
  c.res_out_dims = 8;
  c.res_blocks = 1;
  WaveRNN m(c);
  m->eval();
  const std::string p = test::temp_dir("wavernn_file") + "/w.safetensors";
  save_wavernn(p, m);
  return p;
}

TEST_CASE("vocoders give hop samples per frame", "[vocoder]") {
  const auto neural = open_vocoder(tiny_vocoder_file());
  const auto gl = open_vocoder("griffinlim", 2);
  const auto rnn = open_vocoder(tiny_wavernn_file());
  CHECK(rnn->name().find("wavernn") == 0);
  for (const Vocoder* v : {neural.get(), gl.get(), rnn.get()}) {
    INFO(v->name());
    for (int frames : {1, 7, 81}) {
      FeatureMatrix mel(80, frames);
      std::fill(mel.data.begin(), mel.data.end(), -1.0f);
      const Waveform w = v->vocode(mel);
      CHECK(w.rate == 16000);
      CHECK(w.samples.size() == static_cast<std::size_t>(frames) * 200);
      std::size_t streamed = 0;
      v->vocode_stream(mel, [&](const std::vector<float>& piece) { streamed += piece.size(); });
      CHECK(streamed == w.samples.size());
    }
  }
}

TEST_CASE("a dubkit vocoder file reproduces the module it was saved from", "[vocoder]") {
  torch::manual_seed(3);
  ConvNextVocoder m(tiny_config());
  m->eval();
  const auto v = open_vocoder(tiny_vocoder_file());
  const FeatureMatrix mel = speech_mel(*v, 0.5);
  const Waveform got = v->vocode(mel);
  torch::NoGradGuard no_grad;
  const torch::Tensor expected =
      m->forward(torch::from_blob(const_cast<float*>(mel.data.data()), {1, mel.rows, mel.cols}, torch::kFloat).clone());
  REQUIRE(static_cast<std::size_t>(expected.numel()) == got.samples.size());
  CHECK(test::normalized_max_error(got.samples, std::vector<float>(expected.data_ptr<float>(), expected.data_ptr<float>() + expected.numel())) < 1e-6);
}

TEST_CASE("bad mels are refused with the reason", "[vocoder][bad-input]") {
  const auto v = open_vocoder(tiny_vocoder_file());
  CHECK_THROWS_WITH(v->vocode(FeatureMatrix(40, 10)), Catch::Contains("80-band wav2lip-16k") && Catch::Contains("got 40 rows"));
  CHECK_THROWS_WITH(v->vocode(FeatureMatrix(80, 0)), Catch::Contains("no frames"));
  FeatureMatrix nan_mel(80, 10);
  nan_mel.at(5, 7) = std::nanf("");
  CHECK_THROWS_WITH(v->vocode(nan_mel), Catch::Contains("frame 7") && Catch::Contains("non-finite"));
  nan_mel.at(5, 7) = INFINITY;
  CHECK_THROWS_AS(open_vocoder("griffinlim")->vocode(nan_mel), InvalidArgument);
}

TEST_CASE("vocoder files: unknown names, foreign files and public HiFi-GAN releases", "[vocoder][bad-input]") {
  CHECK_THROWS_AS(open_vocoder("no-such-vocoder"), IoError);
  // A safetensors file that is not a vocoder.
  const std::string dir = test::temp_dir("vocoder_files");
  write_mel_file(dir + "/mel.safetensors", FeatureMatrix(80, 3), "wav2lip-16k");
  CHECK_THROWS_WITH(open_vocoder(dir + "/mel.safetensors"), Catch::Contains("config.json"));
  // The public release layout: generator file with its config.json beside it.
  fs::copy_file(test::fixture("hifigan_v3_generator.pt"), dir + "/generator_v3");
  CHECK_THROWS_WITH(open_vocoder(dir + "/generator_v3"), Catch::Contains("config.json"));
  fs::copy_file(test::fixture("hifigan_v3_config.json"), dir + "/config.json");
  const auto v = open_vocoder(dir + "/generator_v3");
  CHECK(v->preset().name == "hifigan-22k");
  SafetensorsFile io(test::fixture("hifigan_v3_io.safetensors"));
  const std::vector<float> mel = io.at("mel").to_float(), audio = io.at("audio").to_float();
  const int frames = static_cast<int>(io.at("mel").shape[2]);
  const Waveform got = v->vocode(test::matrix_from(mel, 80, frames));
  CHECK(got.rate == 22050);
  REQUIRE(got.samples.size() == audio.size());
  double worst = 0;
  for (std::size_t i = 0; i < audio.size(); ++i) worst = test::max_or_nan(worst, std::abs(got.samples[i] - audio[i]));
  CHECK(worst < 1e-4);
}

TEST_CASE("mel files round-trip and refuse malformed tensors", "[vocoder][bad-input]") {
  const std::string dir = test::temp_dir("mel_files");
  FeatureMatrix m(80, 5);
  for (std::size_t i = 0; i < m.data.size(); ++i) m.data[i] = static_cast<float>(i % 7) - 3;
  write_mel_file(dir + "/m.safetensors", m, "wav2lip-16k");
  const MelFile back = read_mel_file(dir + "/m.safetensors");
  CHECK(back.preset == "wav2lip-16k");
  CHECK(back.mel.rows == 80);
  CHECK(back.mel.data == m.data);
  TensorDict d;
  d.add("mel", HostTensor::from_float({2, 80, 5}, std::vector<float>(800, 0.f)));
  write_safetensors(dir + "/3d.safetensors", d);
  CHECK_THROWS_WITH(read_mel_file(dir + "/3d.safetensors"), Catch::Contains("[n_mels, frames]"));
  TensorDict other;
  other.add("spec", HostTensor::from_float({80, 5}, std::vector<float>(400, 0.f)));
  write_safetensors(dir + "/other.safetensors", other);
  CHECK_THROWS_WITH(read_mel_file(dir + "/other.safetensors"), Catch::Contains("no tensor named 'mel'"));
}

TEST_CASE("mel-cepstral distortion: zero for the same signal, blind to gain, grows with noise", "[vocoder][mcd]") {
  std::uint32_t state = 1;
  auto noise = [&] { return ((state = state * 1664525u + 1013904223u) >> 8) / 16777216.0f - 0.5f; };
  // A tone over a noise floor, so no band sits at the log floor (where gain would not shift it).
  Waveform x = test::test_tone(16000, 1.0);
  for (float& s : x.samples) s += 0.01f * noise();
  CHECK(mel_cepstral_distortion(x, x) == 0.0);
  Waveform quiet = x, noisy = x, noisier = x;
  for (float& s : quiet.samples) s *= 0.5f;
  CHECK(mel_cepstral_distortion(x, quiet) < 0.01);  // c_0 (level) is left out
  for (std::size_t i = 0; i < x.samples.size(); ++i) {
    const float n = noise();
    noisy.samples[i] += 0.02f * n;
    noisier.samples[i] += 0.2f * n;
  }
  const double a = mel_cepstral_distortion(x, noisy), b = mel_cepstral_distortion(x, noisier);
  CHECK(a > 0.1);
  CHECK(b > a);
  CHECK_THROWS_AS(mel_cepstral_distortion(x, Waveform{22050, x.samples}), InvalidArgument);
}

TEST_CASE("mel-cepstral distortion after time warping: blind to timing, not to spectra", "[vocoder][mcd]") {
  // Two sawtooth notes in sequence (harmonics in every band, so each frame's spectrum is the
  // note's, wherever the frame falls); the "test" plays them at another pace.
  auto sequence = [](double first_seconds, double f1, double f2) {
    Waveform w;
    w.rate = 16000;
    for (auto [seconds, f] : {std::pair{first_seconds, f1}, {0.6, f2}})
      for (long i = 0; i < std::lround(seconds * w.rate); ++i) w.samples.push_back(0.5f * float(std::fmod(i * f / w.rate, 1.0) - 0.5));
    return w;
  };
  const Waveform x = sequence(0.5, 300.0, 900.0), slower = sequence(0.9, 300.0, 900.0), other = sequence(0.9, 500.0, 1400.0);
  CHECK(mel_cepstral_distortion_dtw(x, x) == 0.0);
  const double warped = mel_cepstral_distortion_dtw(x, slower), unwarped = mel_cepstral_distortion(x, slower);
  CHECK(warped < 0.25 * unwarped);  // frame by frame, the second tone meets the first one's tail
  CHECK(mel_cepstral_distortion_dtw(x, other) > 4 * warped);
  CHECK_THROWS_AS(mel_cepstral_distortion_dtw(x, Waveform{22050, x.samples}), InvalidArgument);
}
