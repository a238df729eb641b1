// The long-term spectrum's band share (the bandwidth measure of vocoder eval and say) and the
// full-band preset dubkit-22k, whose bands reach what wav2lip-16k and hifigan-22k leave out.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "audio/long_term_spectrum.hpp"
#include "audio/mel_preset.hpp"
#include "core/error.hpp"

using namespace dubkit;

namespace {

Waveform white_noise(int rate, double seconds) {
  std::mt19937 rng(3);
  std::normal_distribution<float> g(0.0f, 0.1f);
  Waveform w{rate, std::vector<float>(static_cast<std::size_t>(rate * seconds))};
  for (float& s : w.samples) s = g(rng);
  return w;
}

Waveform sine(int rate, double hz, double seconds) {
  Waveform w{rate, std::vector<float>(static_cast<std::size_t>(rate * seconds))};
  for (std::size_t i = 0; i < w.samples.size(); ++i) w.samples[i] = 0.5f * std::sin(2 * M_PI * hz * double(i) / rate);
  return w;
}

}  // namespace

TEST_CASE("the band share of the long-term spectrum is the band's width for white noise", "[audio]") {
  // Flat spectrum: the share is the band's part of 0..Nyquist (a 16 kHz wave holds only 4-8 kHz).
  CHECK(band_share_db(white_noise(22050, 2.0), 4000, 10000) == Approx(10 * std::log10(6000.0 / 11025)).margin(0.1));
  CHECK(band_share_db(white_noise(16000, 2.0), 4000, 10000) == Approx(10 * std::log10(4000.0 / 8000)).margin(0.1));
  // A 1 kHz tone has (nearly) nothing above 4 kHz (only the clicks of its abrupt start and end,
  // -59 dB); a 6 kHz one (nearly) all.
  CHECK(band_share_db(sine(22050, 1000, 1.0), 4000, 10000) < -50);
  CHECK(band_share_db(sine(22050, 6000, 1.0), 4000, 10000) > -0.1);
  CHECK_THROWS_AS(band_share_db(sine(22050, 6000, 1.0), 5000, 4000), InvalidArgument);
  CHECK_THROWS_AS(band_share_db(Waveform{22050, std::vector<float>(100)}, 4000, 10000), FormatError);
}

TEST_CASE("dubkit-22k keeps the band between 8 and 11 kHz", "[audio]") {
  const MelAnalyzer full(mel_preset("dubkit-22k")), hifigan(mel_preset("hifigan-22k"));
  CHECK(full.preset().sample_rate == 22050);
  CHECK(full.preset().stft.hop == 256);
  // A 10 kHz tone lights dubkit-22k's top bands; hifigan-22k (bands to 8 kHz) barely sees it.
  const Waveform tone = sine(22050, 10000, 0.5);
  const FeatureMatrix m = full.compute(tone);
  CHECK(m.rows == 80);
  int loudest = 0;
  for (int r = 0; r < m.rows; ++r)
    if (m.at(r, m.cols / 2) > m.at(loudest, m.cols / 2)) loudest = r;
  CHECK(loudest >= 74);
  CHECK(m.at(loudest, m.cols / 2) > 2.0f);  // within ~25 dB of the scale's top
  const FeatureMatrix h = hifigan.compute(tone);
  float top = -100;
  for (int r = 0; r < h.rows; ++r) top = std::max(top, h.at(r, h.cols / 2));
  CHECK(top < std::log(1e-3f));
}
