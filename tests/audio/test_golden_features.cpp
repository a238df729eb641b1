// Golden tests: the DSP presets against the public reference implementations' own outputs
// (tests/fixtures/reference, produced by librosa 0.9.2, HiFi-GAN 4769534, Wav2Lip 5c90fa9,
// SV2TTS 865eba8 and python_speech_features e280ac2; see that folder's README). The measure
// is max|ours - reference| / max|reference| (tests/support.hpp says why), bound 1e-4.
#include <catch2/catch.hpp>

#include "audio/filterbank.hpp"
#include "audio/mel_preset.hpp"
#include "audio/stft.hpp"
#include "support.hpp"

using namespace dubkit;
using dubkit::test::fixture;
using dubkit::test::normalized_max_error;

namespace {

constexpr double kTolerance = 1e-4;

Waveform wave_from(const TensorView& t, int rate, double scale = 1.0) {
  Waveform w;
  w.rate = rate;
  w.samples = t.to_float();
  for (float& s : w.samples) s = static_cast<float>(s * scale);
  return w;
}

MelPreset with_padding(MelPreset p, Padding mode) {
  p.stft.pad_mode = mode;
  return p;
}

}  // namespace

TEST_CASE("Slaney and HTK mel filterbanks match librosa.filters.mel", "[audio][golden]") {
  SafetensorsFile f(fixture("librosa_features.safetensors"));
  const FeatureMatrix slaney = mel_filterbank({22050, 1024, 80, 0.0, 8000.0, MelScale::Slaney, true});
  CHECK(normalized_max_error(slaney.data, f.at("mel_basis_slaney_22050_1024_80_0_8000").to_float()) < kTolerance);
  const FeatureMatrix htk = mel_filterbank({16000, 512, 40, 0.0, 8000.0, MelScale::Htk, true});
  CHECK(normalized_max_error(htk.data, f.at("mel_basis_htk_16000_512_40_0_8000").to_float()) < kTolerance);
}

TEST_CASE("STFT magnitude matches librosa (centred, reflect padding)", "[audio][golden]") {
  SafetensorsFile f(fixture("librosa_features.safetensors"));
  const Waveform w = wave_from(f.at("wav22"), 22050);
  Stft stft({1024, 256, 1024, Window::Hann, true, 512, Padding::Reflect, false});
  const int T = stft.frames(w.samples.size()), bins = 513;
  FeatureMatrix mag(bins, T);
  const auto spec = stft.forward(w.samples.data(), w.samples.size());
  for (int t = 0; t < T; ++t)
    for (int k = 0; k < bins; ++k) mag.at(k, t) = std::abs(spec[static_cast<std::size_t>(t) * bins + k]);
  CHECK(normalized_max_error(mag.data, f.at("stft_mag_1024_256_center_reflect").to_float()) < kTolerance);
}

TEST_CASE("power mel spectrogram and MFCC match librosa", "[audio][golden]") {
  SafetensorsFile f(fixture("librosa_features.safetensors"));
  SECTION("melspectrogram(wav22, n_fft=1024, hop=256, n_mels=80, fmax=8000), power 2") {
    // The fixture was made with fmax=8000 (the mel_basis_slaney_..._0_8000 filters), not
    // librosa's default sr/2: with 11025 the error is 0.52, with 8000 it is 1e-8.
    MelPreset p = mel_preset("ge2e-40");  // power mel, librosa framing; re-shaped below
    p.name = "librosa-melspec";
    p.sample_rate = 22050;
    p.stft = {1024, 256, 1024, Window::Hann, true, 512, Padding::Zero, false};
    p.filters = {22050, 1024, 80, 0.0, 8000.0, MelScale::Slaney, true};
    const FeatureMatrix mel = MelAnalyzer(p).compute(wave_from(f.at("wav22"), 22050));
    CHECK(normalized_max_error(mel.data, f.at("melspec_power2_1024_256_80").to_float()) < kTolerance);
  }
  SECTION("mfcc(wav16, n_mfcc=13): 128-mel power, power_to_db(top_db=80), DCT-II ortho") {
    MelPreset p = mel_preset("ge2e-40");
    p.name = "librosa-mfcc";
    p.stft = {2048, 512, 2048, Window::Hann, true, 1024, Padding::Zero, false};
    p.filters = {16000, 2048, 128, 0.0, 8000.0, MelScale::Slaney, true};
    FeatureMatrix mel = MelAnalyzer(p).compute(wave_from(f.at("wav16"), 16000));
    power_to_db(mel, 1e-10, 80.0);
    const FeatureMatrix mfcc = matmul(dct2_ortho(13, 128), mel);
    CHECK(normalized_max_error(mfcc.data, f.at("mfcc_13_16k").to_float()) < kTolerance);
  }
}

TEST_CASE("hifigan-22k reproduces HiFi-GAN's mel_spectrogram()", "[audio][golden]") {
  for (const char* file : {"hifigan_v2_io.safetensors", "hifigan_v3_io.safetensors"}) {
    SafetensorsFile f(fixture(file));
    const FeatureMatrix mel = MelAnalyzer(mel_preset("hifigan-22k")).compute(wave_from(f.at("wav"), 22050));
    REQUIRE(mel.rows == 80);
    REQUIRE(mel.cols == 363);
    INFO(file);
    CHECK(normalized_max_error(mel.data, f.at("mel").to_float()) < kTolerance);
  }
}

TEST_CASE("wav2lip-16k reproduces Wav2Lip's audio.melspectrogram()", "[audio][golden]") {
  SafetensorsFile f(fixture("wav2lip_audio.safetensors"));
  const Waveform w = wave_from(f.at("wav16"), 16000);
  const FeatureMatrix ref = test::matrix_from(f.at("mel").to_float(), 80, 338);
  const FeatureMatrix mel = MelAnalyzer(mel_preset("wav2lip-16k")).compute(w);
  REQUIRE(mel.cols == ref.cols);
  CHECK(normalized_max_error(mel.data, ref.data) < kTolerance);

  // The public Wav2Lip ran librosa 0.7, which padded by reflection: only frames whose
  // 800-sample window reaches past either edge (t < 2 and t > T-3 at hop 200) change.
  const FeatureMatrix refl = MelAnalyzer(with_padding(mel_preset("wav2lip-16k"), Padding::Reflect)).compute(w);
  const int T = ref.cols;
  CHECK(normalized_max_error(test::columns(refl, 2, T - 2).data, test::columns(ref, 2, T - 2).data) < kTolerance);
  CHECK(normalized_max_error(test::columns(refl, 0, 1).data, test::columns(ref, 0, 1).data) > kTolerance);
}

TEST_CASE("ge2e-40 reproduces SV2TTS's wav_to_mel_spectrogram()", "[audio][golden]") {
  SafetensorsFile f(fixture("rtvc_encoder_io.safetensors"));
  const FeatureMatrix mel = MelAnalyzer(mel_preset("ge2e-40")).compute(wave_from(f.at("wav16"), 16000));
  const FeatureMatrix ref = test::matrix_from(f.at("mel40").to_float(), 40, 423, /*transpose=*/true);
  REQUIRE(mel.cols == 423);
  CHECK(normalized_max_error(mel.data, ref.data) < kTolerance);
}

TEST_CASE("syncnet-mfcc reproduces python_speech_features.mfcc()", "[audio][golden]") {
  SafetensorsFile f(fixture("syncnet_mfcc.safetensors"));
  // The fixture holds int16 sample values; the preset's input_gain expects [-1, 1] samples.
  const Waveform w = wave_from(f.at("pcm16_as_f32"), 16000, 1.0 / 32768.0);
  const FeatureMatrix mfcc = MelAnalyzer(mel_preset("syncnet-mfcc")).compute(w);
  const FeatureMatrix ref = test::matrix_from(f.at("mfcc").to_float(), 13, 421, /*transpose=*/true);
  REQUIRE(mfcc.cols == 421);
  // Every frame, the zero-padded last one included: python_speech_features pads the tail
  // with zeros, which the cover_tail framing reproduces.
  CHECK(normalized_max_error(mfcc.data, ref.data) < kTolerance);
  // Each cepstrum on its own scale too, so the small high cepstra are held to the bound
  // as well, not only c0 (log energy, the largest).
  for (int c = 0; c < 13; ++c) {
    INFO("cepstrum " << c);
    CHECK(normalized_max_error(test::row(mfcc, c), test::row(ref, c)) < kTolerance);
  }
}
