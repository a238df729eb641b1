#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sndfile.h>

#include "audio/io.hpp"
#include "audio/level.hpp"
#include "audio/resample.hpp"
#include "core/error.hpp"
#include "support.hpp"

using namespace dubkit;

namespace {

// Frequency of the strongest DFT bin between 250 and 4000 Hz, in Hz (1 Hz resolution). A
// wrong conversion ratio (16000/44100 or its inverse) moves a 1 kHz tone out of the 1 Hz bin.
double dominant_frequency(const Waveform& w) {
  const std::size_t n = std::min<std::size_t>(w.samples.size(), static_cast<std::size_t>(w.rate));
  double best = 0, best_f = 0;
  for (int f = 250; f <= 4000; f += 1) {
    double re = 0, im = 0;
    for (std::size_t i = 0; i < n; ++i) {
      re += w.samples[i] * std::cos(2 * M_PI * f * double(i) / w.rate);
      im += w.samples[i] * std::sin(2 * M_PI * f * double(i) / w.rate);
    }
    if (re * re + im * im > best) best = re * re + im * im, best_f = f;
  }
  return best_f;
}

Waveform sine(int rate, double hz, double seconds, double amplitude) {
  Waveform w{rate, std::vector<float>(static_cast<std::size_t>(rate * seconds))};
  for (std::size_t i = 0; i < w.samples.size(); ++i)
    w.samples[i] = static_cast<float>(amplitude * std::sin(2 * M_PI * hz * double(i) / rate));
  return w;
}

void expect_format_error(const std::string& path, const std::string& needle) {
  try {
    read_audio(path);
    FAIL("read " << path << " without error");
  } catch (const FormatError& e) {
    INFO(e.what());
    CHECK(std::string(e.what()).find(path) != std::string::npos);
    CHECK(std::string(e.what()).find(needle) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("WAV, FLAC and OGG round trips", "[audio]") {
  const std::string dir = test::temp_dir("io");
  const Waveform w = test::test_tone(16000, 0.5);
  for (const char* ext : {".wav", ".flac", ".ogg"}) {
    INFO(ext);
    const std::string path = dir + "/t" + ext;
    write_audio(path, w);
    const AudioInfo info = probe_audio(path);
    CHECK(info.rate == 16000);
    CHECK(info.channels == 1);
    const Waveform back = read_mono(path);
    REQUIRE(back.samples.size() == w.samples.size());
    double err = 0;
    for (std::size_t i = 0; i < w.samples.size(); ++i) err = test::max_or_nan(err, std::fabs(back.samples[i] - w.samples[i]));
    // 16-bit PCM is within one quantisation step; Vorbis is lossy, so only roughly equal.
    CHECK(err < (std::string(ext) == ".ogg" ? 0.1 : 1.0 / 32768 + 1e-6));
  }
  CHECK_THROWS_AS(write_audio(dir + "/t.xyz", w), InvalidArgument);
}

TEST_CASE("stereo is mixed down by averaging", "[audio]") {
  AudioData a;
  a.info.rate = 8000;
  a.info.channels = 2;
  a.interleaved = {1.0f, 0.0f, 0.5f, -0.5f, -1.0f, 0.0f};
  const Waveform m = mix_to_mono(a);
  CHECK(m.samples == std::vector<float>{0.5f, 0.0f, -0.5f});
  const std::string path = test::temp_dir("stereo") + "/s.wav";
  write_audio(path, a, SampleFormat::Float32);
  CHECK(read_audio(path).info.channels == 2);
  CHECK(read_mono(path).samples == m.samples);
}

TEST_CASE("libsoxr resampling keeps pitch and length", "[audio]") {
  const Waveform w = sine(16000, 1000.0, 1.0, 0.5);
  const Waveform up = resample(w, 44100);
  CHECK(up.rate == 44100);
  CHECK(std::abs(static_cast<long>(up.samples.size()) - 44100) <= 1);
  CHECK(dominant_frequency(up) == Approx(1000).margin(1));
  const Waveform back = resample(up, 16000);
  double err = 0;
  for (std::size_t i = 400; i + 400 < w.samples.size(); ++i)  // away from the filter's edge transients
    err = test::max_or_nan(err, std::fabs(back.samples[i] - w.samples[i]));
  CHECK(err < 1e-3);
  AudioData st;
  st.info = {"", 16000, 2, 16000};
  st.interleaved.resize(32000, 0.25f);
  CHECK(resample(st, 8000).info.frames == 8000);
  CHECK_THROWS_AS(resample(w, 0), InvalidArgument);
}

TEST_CASE("EBU R128 loudness, normalisation and trimming", "[audio]") {
  // A 997 Hz sine at full scale reads -3.01 LUFS (EBU Tech 3341); 0.1 amplitude is 20 dB lower.
  Waveform w = sine(48000, 997.0, 5.0, 0.1);
  CHECK(integrated_loudness(w) == Approx(-23.01).margin(0.1));
  normalize_loudness(w, -16.0);
  CHECK(integrated_loudness(w) == Approx(-16.0).margin(0.05));
  normalize_peak(w, -1.0);
  CHECK(20 * std::log10(peak(w)) == Approx(-1.0).margin(1e-4));
  Waveform silent{16000, std::vector<float>(16000, 0.0f)};
  CHECK_THROWS_AS(normalize_loudness(silent, -23), FormatError);

  Waveform padded{16000, std::vector<float>(16000, 0.0f)};
  const Waveform tone = sine(16000, 440.0, 0.5, 0.5);
  padded.samples.insert(padded.samples.begin() + 8000, tone.samples.begin(), tone.samples.end());
  trim_silence(padded, 60.0);
  CHECK(padded.samples.size() >= tone.samples.size());
  CHECK(padded.samples.size() <= tone.samples.size() + 2 * 400);  // within one 25 ms frame each side
  trim_silence(silent, 60.0);
  CHECK(silent.samples.empty());
}

TEST_CASE("bad audio files are FormatErrors naming the file", "[audio][bad-input]") {
  const std::string dir = test::temp_dir("badaudio");
  const std::string good = dir + "/good.wav";
  write_audio(good, test::test_tone(16000, 0.5));
  std::ifstream gin(good, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(gin)), std::istreambuf_iterator<char>());

  SECTION("empty file") {
    std::ofstream(dir + "/empty.wav").close();
    expect_format_error(dir + "/empty.wav", "cannot read audio");
  }
  SECTION("not audio") {
    std::ofstream(dir + "/text.wav") << "this is not a RIFF file, just text\n";
    expect_format_error(dir + "/text.wav", "cannot read audio");
  }
  SECTION("truncated") {
    std::ofstream(dir + "/trunc.wav", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
    expect_format_error(dir + "/trunc.wav", "truncated");
  }
  SECTION("zero samples") {
    SF_INFO sf{};
    sf.samplerate = 16000;
    sf.channels = 1;
    sf.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    sf_close(sf_open((dir + "/zero.wav").c_str(), SFM_WRITE, &sf));
    expect_format_error(dir + "/zero.wav", "no audio samples");
  }
  SECTION("NaN samples") {
    Waveform w = test::test_tone(16000, 0.1);
    w.samples[100] = NAN;
    // libsndfile writes float WAV verbatim, NaN included.
    SF_INFO sf{};
    sf.samplerate = 16000;
    sf.channels = 1;
    sf.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    SNDFILE* f = sf_open((dir + "/nan.wav").c_str(), SFM_WRITE, &sf);
    sf_writef_float(f, w.samples.data(), static_cast<sf_count_t>(w.samples.size()));
    sf_close(f);
    expect_format_error(dir + "/nan.wav", "non-finite sample (NaN or Inf) at frame 100");
  }
  SECTION("enormous header claim") {
    std::string huge = bytes;
    // RIFF data chunk size -> 0xfffffff0 bytes of samples that are not there.
    const auto pos = huge.find("data");
    REQUIRE(pos != std::string::npos);
    for (int i = 0; i < 4; ++i) huge[pos + 4 + i] = static_cast<char>(i == 0 ? 0xf0 : 0xff);
    std::ofstream(dir + "/huge.wav", std::ios::binary) << huge;
    expect_format_error(dir + "/huge.wav", "truncated");
  }
  SECTION("one sample is a valid file") {
    write_audio(dir + "/one.wav", Waveform{16000, {0.5f}});
    CHECK(read_mono(dir + "/one.wav").samples.size() == 1);
  }
  // Issue 22, item 16: a 40 KB WAV declaring 1 Hz took `voice embed` 44 s and 835 MB (resampled
  // 16000-fold). The fmt chunk's rate is at byte 24, its byte rate at 28.
  SECTION("issue 22 item 16: absurd sample rates") {
    for (const std::uint32_t rate : {1u, 999u, 1000000u}) {
      std::string odd = bytes;
      const std::uint32_t byte_rate = rate * 2;
      for (int i = 0; i < 4; ++i) {
        odd[24 + i] = static_cast<char>((rate >> (8 * i)) & 0xff);
        odd[28 + i] = static_cast<char>((byte_rate >> (8 * i)) & 0xff);
      }
      const std::string path = dir + "/rate" + std::to_string(rate) + ".wav";
      std::ofstream(path, std::ios::binary) << odd;
      expect_format_error(path, "sample rate " + std::to_string(rate) + " Hz is outside 1000 to 768000 Hz");
      CHECK_THROWS_AS(MonoReader(path), FormatError);
    }
  }
}
