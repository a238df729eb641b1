#include <catch2/catch.hpp>

#include <cmath>

#include "audio/mel_preset.hpp"
#include "audio/stft.hpp"
#include "core/error.hpp"
#include "support.hpp"
#include "vocoder/griffin_lim.hpp"

using namespace dubkit;

namespace {

double mean_abs_diff(const FeatureMatrix& a, const FeatureMatrix& b) {
  REQUIRE(a.rows == b.rows);
  REQUIRE(a.cols == b.cols);
  double s = 0;
  for (std::size_t i = 0; i < a.data.size(); ++i) s += std::fabs(a.data[i] - b.data[i]);
  return s / a.data.size();
}

// Exact STFT magnitudes [bins, T] of w in the preset's framing.
FeatureMatrix magnitudes(const Waveform& w, const MelPreset& p) {
  Stft stft(p.stft);
  const auto spec = stft.forward(w.samples.data(), w.samples.size());
  const int bins = p.stft.bins(), T = stft.frames(w.samples.size());
  FeatureMatrix m(bins, T);
  for (int t = 0; t < T; ++t)
    for (int k = 0; k < bins; ++k) m.at(k, t) = std::abs(spec[static_cast<std::size_t>(t) * bins + k]);
  return m;
}

// Spectral convergence ||target - |STFT(w)| ||_F / ||target||_F: Griffin-Lim's own objective.
double spectral_convergence(const FeatureMatrix& target, const Waveform& w, const MelPreset& p) {
  const FeatureMatrix got = magnitudes(w, p);
  double num = 0, den = 0;
  for (std::size_t i = 0; i < target.data.size(); ++i) {
    num += (target.data[i] - got.data[i]) * double(target.data[i] - got.data[i]);
    den += double(target.data[i]) * target.data[i];
  }
  return std::sqrt(num / den);
}

GriffinLimConfig iterations(int n) {
  GriffinLimConfig c;
  c.iterations = n;
  return c;
}

}  // namespace

TEST_CASE("Griffin-Lim converges on consistent magnitudes", "[vocoder]") {
  for (const char* name : {"wav2lip-16k", "hifigan-22k"}) {
    INFO(name);
    const MelPreset& p = mel_preset(name);
    const Waveform w = test::test_tone(p.sample_rate, 1.0);
    const FeatureMatrix target = magnitudes(w, p);
    const double first = spectral_convergence(target, griffin_lim(target, p, iterations(1)), p);
    const double later = spectral_convergence(target, griffin_lim(target, p, iterations(32)), p);
    CHECK(later < first / 4);
    CHECK(later < 0.1);  // under -20 dB of spectral error after 32 iterations
  }
}

TEST_CASE("mel -> Griffin-Lim -> mel comes back close, with the input's length", "[vocoder]") {
  for (const char* name : {"wav2lip-16k", "hifigan-22k"}) {
    INFO(name);
    const MelAnalyzer a(mel_preset(name));
    const Waveform input = test::test_tone(a.preset().sample_rate, 1.0);
    const FeatureMatrix mel = a.compute(input);
    const Waveform rough = griffin_lim_from_features(mel, a, iterations(1));
    const Waveform good = griffin_lim_from_features(mel, a, iterations(32));
    CHECK(good.rate == a.preset().sample_rate);
    // Within one hop of the input: the frames cover the signal to the nearest hop.
    CHECK(std::labs(static_cast<long>(good.samples.size()) - static_cast<long>(input.samples.size())) <
          a.preset().stft.hop);
    const FeatureMatrix again = a.compute(good);
    REQUIRE(again.cols == mel.cols);
    CHECK(mean_abs_diff(again, mel) < mean_abs_diff(a.compute(rough), mel));
  }
  // On the wav2lip scale ([-4, 4] spans 100 dB) a mean error of 0.2 is 2.5 dB. The rest of the
  // gap is the mel filterbank's lost resolution, which no phase estimate recovers.
  const MelAnalyzer a(mel_preset("wav2lip-16k"));
  const FeatureMatrix mel = a.compute(test::test_tone(16000, 1.0));
  CHECK(mean_abs_diff(a.compute(griffin_lim_from_features(mel, a)), mel) < 0.2);
}

TEST_CASE("streaming Griffin-Lim: pieces in order, full length, close to the whole-signal result", "[vocoder]") {
  const MelAnalyzer a(mel_preset("wav2lip-16k"));
  // 3.3 s of a gliding tone: four blocks of 80 frames and a short last one.
  Waveform input = test::test_tone(16000, 3.3);
  for (std::size_t i = 0; i < input.samples.size(); ++i)
    input.samples[i] = 0.5f * static_cast<float>(std::sin(2 * M_PI * (200.0 + 60.0 * i / 16000.0) * i / 16000.0));
  const FeatureMatrix mel = a.compute(input);
  std::vector<std::size_t> sizes;
  Waveform streamed;
  streamed.rate = 16000;
  griffin_lim_blocks(mel, a, iterations(32), 80, 16, [&](const std::vector<float>& piece) {
    sizes.push_back(piece.size());
    streamed.samples.insert(streamed.samples.end(), piece.begin(), piece.end());
  });
  CHECK(sizes.size() == static_cast<std::size_t>((mel.cols + 79) / 80));
  CHECK(streamed.samples.size() == static_cast<std::size_t>(mel.cols) * 200);
  CHECK(sizes.front() == 80 * 200 - 800);  // up to the first boundary minus half the 8-frame crossfade
  Waveform whole = griffin_lim_from_features(mel, a, iterations(32));
  whole.samples.resize(streamed.samples.size(), 0.0f);
  // Both signals run a hop past the input, so their analyses have one frame more than `mel`.
  const auto analysed = [&](const Waveform& w) { return test::columns(a.compute(w), 0, mel.cols); };
  const double e_stream = mean_abs_diff(analysed(streamed), mel), e_whole = mean_abs_diff(analysed(whole), mel);
  INFO("mel error streamed " << e_stream << ", whole " << e_whole);
  CHECK(e_stream < 1.25 * e_whole);
  CHECK_THROWS_AS(griffin_lim_blocks(mel, a, iterations(1), 4, 8, [](const std::vector<float>&) {}), InvalidArgument);
  // Spans shorter than Griffin-Lim can reconstruct (a last block of one frame, a 2-frame input).
  for (int frames : {81, 2, 1}) {
    INFO(frames << " frames");
    std::size_t samples = 0;
    griffin_lim_blocks(test::columns(mel, 0, frames), a, iterations(4), 80, 8,
                       [&](const std::vector<float>& piece) { samples += piece.size(); });
    CHECK(samples == static_cast<std::size_t>(frames) * 200);
  }
}

TEST_CASE("Griffin-Lim is deterministic for a seed", "[vocoder]") {
  const MelAnalyzer a(mel_preset("wav2lip-16k"));
  const FeatureMatrix mel = a.compute(test::test_tone(16000, 0.3));
  GriffinLimConfig c;
  c.iterations = 4;
  CHECK(griffin_lim_from_features(mel, a, c).samples == griffin_lim_from_features(mel, a, c).samples);
  c.seed = 1;
  GriffinLimConfig d = c;
  d.seed = 2;
  CHECK(griffin_lim_from_features(mel, a, c).samples != griffin_lim_from_features(mel, a, d).samples);
}

TEST_CASE("Griffin-Lim rejects bad configurations and inputs", "[vocoder][bad-input]") {
  const MelAnalyzer a(mel_preset("wav2lip-16k"));
  GriffinLimConfig c;
  c.iterations = 0;
  CHECK_THROWS_AS(c.validate(), InvalidArgument);
  c.iterations = 10;
  c.momentum = 1.0;
  CHECK_THROWS_AS(c.validate(), InvalidArgument);
  CHECK_THROWS_AS(griffin_lim_from_features(FeatureMatrix(80, 0), a), InvalidArgument);
  CHECK_THROWS_AS(griffin_lim_from_features(FeatureMatrix(80, 1), a), InvalidArgument);  // 0 samples
  const MelAnalyzer mfcc(mel_preset("syncnet-mfcc"));
  CHECK_THROWS_AS(griffin_lim_from_features(FeatureMatrix(13, 10), mfcc), InvalidArgument);
}
