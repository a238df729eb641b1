#include <catch2/catch.hpp>

#include <cmath>

#include "audio/filterbank.hpp"
#include "audio/mel_preset.hpp"
#include "audio/stft.hpp"
#include "core/error.hpp"
#include "support.hpp"

using namespace dubkit;

TEST_CASE("STFT then inverse STFT reconstructs the signal", "[audio]") {
  const Waveform w = test::test_tone(16000, 1.0);
  for (const MelPreset* p : {&mel_preset("wav2lip-16k"), &mel_preset("hifigan-22k"), &mel_preset("dubkit-22k"), &mel_preset("ge2e-40")}) {
    INFO(p->name);
    StftConfig c = p->stft;
    Stft stft(c);
    const auto spec = stft.forward(w.samples.data(), w.samples.size());
    const int T = stft.frames(w.samples.size());
    const std::vector<float> back = stft.inverse(spec.data(), T, w.samples.size());
    double err = 0;
    // Samples covered by a full window sum (all but the reflect-padded hifigan tail).
    for (std::size_t i = 0; i + c.n_fft < w.samples.size(); ++i) err = test::max_or_nan(err, std::fabs(back[i] - w.samples[i]));
    CHECK(err < 1e-5);
  }
}

TEST_CASE("frame counts follow each convention", "[audio]") {
  // librosa center=True: 1 + n // hop.
  CHECK(Stft(mel_preset("wav2lip-16k").stft).frames(67520) == 1 + 67520 / 200);
  // HiFi-GAN: (n + n_fft - hop - n_fft) // hop + 1 = n // hop for these sizes.
  CHECK(Stft(mel_preset("hifigan-22k").stft).frames(93051) == 363);
  // python_speech_features: 1 + ceil((n - 400) / 160).
  CHECK(Stft(mel_preset("syncnet-mfcc").stft).frames(67520) == 421);
  CHECK(Stft(mel_preset("syncnet-mfcc").stft).frames(10) == 1);
  CHECK_THROWS_AS(Stft(mel_preset("hifigan-22k").stft).frames(100), InvalidArgument);  // cannot reflect 384
  CHECK_THROWS_AS(Stft(mel_preset("wav2lip-16k").stft).frames(0), InvalidArgument);
}

TEST_CASE("filterbanks: shapes, triangles and normalisation", "[audio]") {
  const FeatureMatrix slaney = mel_filterbank({16000, 800, 80, 55, 7600, MelScale::Slaney, true});
  CHECK(slaney.rows == 80);
  CHECK(slaney.cols == 401);
  const FeatureMatrix peak = mel_filterbank({16000, 800, 80, 55, 7600, MelScale::Slaney, false});
  for (int m = 0; m < 80; ++m) {
    float top = 0;
    for (int k = 0; k < 401; ++k) top = std::max(top, peak.at(m, k));
    CHECK(top <= 1.0f);
    CHECK(top > 0.0f);  // no empty filter at this resolution
  }
  const FeatureMatrix psf = speech_features_filterbank(26, 512, 16000, 0, 8000);
  CHECK(psf.rows == 26);
  for (int m = 0; m < 26; ++m) {
    float top = 0;
    for (int k = 0; k < 257; ++k) top = std::max(top, psf.at(m, k));
    CHECK(top == 1.0f);  // integer-bin triangles peak at exactly 1 on their centre bin
  }
  CHECK_THROWS_AS(mel_filterbank({16000, 800, 80, 55, 9000, MelScale::Slaney, true}), InvalidArgument);
  CHECK_THROWS_AS(dct2_ortho(14, 13), InvalidArgument);
}

TEST_CASE("DCT-II ortho matrix is orthonormal", "[audio]") {
  const FeatureMatrix d = dct2_ortho(40, 40);
  for (int i = 0; i < 40; ++i)
    for (int j = 0; j < 40; ++j) {
      double dot = 0;
      for (int n = 0; n < 40; ++n) dot += double(d.at(i, n)) * d.at(j, n);
      CHECK(dot == Approx(i == j ? 1.0 : 0.0).margin(1e-5));
    }
}

TEST_CASE("presets reject wrong rates, short audio and unknown names", "[audio][bad-input]") {
  const MelAnalyzer a(mel_preset("wav2lip-16k"));
  CHECK_THROWS_WITH(a.compute(test::test_tone(22050, 1.0)), Catch::Contains("needs 16000 Hz"));
  CHECK_THROWS_WITH(a.compute(Waveform{16000, {0.1f}}), Catch::Contains("shorter than one 800-sample"));
  CHECK_THROWS_WITH(mel_preset("nope"), Catch::Contains("wav2lip-16k"));
  FeatureMatrix bad(80, 3);
  bad.at(4, 1) = NAN;
  CHECK_THROWS_AS(a.linear_magnitude(bad), InvalidArgument);
  CHECK_THROWS_AS(a.linear_magnitude(FeatureMatrix(40, 3)), InvalidArgument);
  CHECK_THROWS_AS(MelAnalyzer(mel_preset("syncnet-mfcc")).linear_magnitude(FeatureMatrix(13, 3)), InvalidArgument);
  MelPreset broken = mel_preset("ge2e-40");
  broken.power = 3;
  CHECK_THROWS_WITH(MelAnalyzer(broken), Catch::Contains("power"));
}

TEST_CASE("the filterbank inverse solves its least-squares problem", "[audio]") {
  // The non-negative inverse must reproduce the mel energies it was given; how close the
  // linear spectrum itself comes is bounded by the filterbank's resolution, not by the solver.
  const MelAnalyzer a(mel_preset("ge2e-40"));
  const Waveform w = test::test_tone(16000, 0.5);
  const FeatureMatrix mel = a.compute(w);
  const FeatureMatrix lin = a.linear_magnitude(mel);
  CHECK(lin.rows == 201);
  CHECK(lin.cols == mel.cols);
  // Re-applying the filterbank to the estimate reproduces the mel energies.
  const FeatureMatrix fb = mel_filterbank(mel_preset("ge2e-40").filters);
  FeatureMatrix pw = lin;
  for (float& v : pw.data) v *= v;
  CHECK(test::normalized_max_error(matmul(fb, pw).data, mel.data) < 0.05);
}
