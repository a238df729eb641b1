// `sync shift` and swapped audio: the decoded output's sound is the input's moved by exactly
// the asked number of frames, found by cross-correlation of the two decoded tracks.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "core/error.hpp"
#include "support.hpp"
#include "sync/manipulate.hpp"
#include "video/video_reader.hpp"
#include "video/video_writer.hpp"

using namespace dubkit;

namespace {

// 2 s at 25 fps of grey frames with white noise bursts of random lengths: the correlation of
// the sound with itself has one clear peak.
std::string noisy_video(const std::string& dir, bool with_audio) {
  const std::string path = dir + (with_audio ? "/in.mp4" : "/silent.mp4");
  Waveform a;
  a.rate = 48000;
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-0.5f, 0.5f);
  for (int burst = 0; a.samples.size() < 96000; ++burst) {
    const int on = 1000 + static_cast<int>(rng() % 4000), off = 1000 + static_cast<int>(rng() % 6000);
    for (int i = 0; i < on; ++i) a.samples.push_back(u(rng));
    a.samples.insert(a.samples.end(), off, 0.f);
  }
  a.samples.resize(96000);
  VideoWriter w(path, 160, 120, with_audio ? a : Waveform{});
  for (int i = 0; i < 50; ++i) w.write(cv::Mat(120, 160, CV_8UC3, cv::Scalar::all(40 + i)), i / 25.0);
  w.finish();
  return path;
}

// The lag (samples, positive: `b` later) in [-max, max] maximising the correlation of a and b.
long best_lag(const Waveform& a, const Waveform& b, long max) {
  long best = 0;
  double best_c = -1;
  for (long lag = -max; lag <= max; ++lag) {
    double c = 0;
    for (long i = 0; i < static_cast<long>(a.samples.size()); ++i) {
      const long j = i + lag;
      if (j >= 0 && j < static_cast<long>(b.samples.size())) c += double(a.samples[i]) * b.samples[j];
    }
    if (c > best_c) best_c = c, best = lag;
  }
  return best;
}

}  // namespace

TEST_CASE("sync shift moves the sound by whole frames and keeps the picture", "[sync][video]") {
  const std::string dir = test::temp_dir("sync-shift");
  const std::string in = noisy_video(dir, true);
  const Waveform original = read_audio_track(in, 8000);
  for (int frames : {3, -4, 0}) {
    const std::string out = dir + "/shift" + std::to_string(frames) + ".mp4";
    shift_audio(in, frames, out);
    const Waveform moved = read_audio_track(out, 8000);
    // 320 samples per frame at 8 kHz; AAC keeps timing to well under a millisecond.
    INFO("frames " << frames);
    CHECK(best_lag(original, moved, 1600) == frames * 320);
    VideoReader r(out);
    CHECK(r.info().width == 160);
    CHECK(std::abs(r.info().duration - 2.0) < 0.05);
    CHECK(std::abs(moved.seconds() - original.seconds()) < 0.05);
    long n = 0;
    for (VideoFrame f; r.read(f);) ++n;
    CHECK(n == 50);
  }
}

TEST_CASE("sync shift and swap: bad requests", "[sync][video]") {
  const std::string dir = test::temp_dir("sync-shift-bad");
  const std::string in = noisy_video(dir, true), silent = noisy_video(dir, false);
  CHECK_THROWS_AS(shift_audio(in, 1001, dir + "/x.mp4"), InvalidArgument);
  CHECK_THROWS_WITH(shift_audio(silent, 2, dir + "/x.mp4"), Catch::Contains("silent.mp4") && Catch::Contains("no audio"));
  CHECK_THROWS_AS(shift_audio(in, 2, in), InvalidArgument);  // the output may not be the input
  CHECK_THROWS_AS(shift_audio(dir + "/missing.mp4", 2, dir + "/x.mp4"), Error);
  // A swapped track is cut to the picture's length.
  Waveform longer;
  longer.rate = 16000;
  longer.samples.assign(16000 * 5, 0.1f);
  replace_audio(silent, longer, dir + "/swapped.mp4");
  CHECK(std::abs(read_audio_track(dir + "/swapped.mp4", 16000).seconds() - 2.0) < 0.05);
}
