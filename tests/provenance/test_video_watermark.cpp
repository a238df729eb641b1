// The keyed mark in lip-synced frames (issue 22, item 17): only the region changes, each second's
// payload comes back, other keys and unmarked video find nothing, and it survives H.264.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include <opencv2/imgproc.hpp>

#include "core/error.hpp"
#include "provenance/video_watermark.hpp"
#include "support.hpp"
#include "video/video_writer.hpp"

using namespace dubkit;

namespace {

WatermarkKey key_of(unsigned seed) {
  char hex[65];
  std::snprintf(hex, sizeof hex, "%056x%08x", 0u, seed * 2654435761u + 1u);
  return watermark_key_from_hex(hex);
}

// A textured scene with a "mouth" that opens and closes, 320 x 240, frame i of 25 per second.
cv::Mat scene(int i) {
  static const cv::Mat texture = [] {
    cv::Mat t(240, 320, CV_8UC3);
    cv::RNG rng(7);
    rng.fill(t, cv::RNG::UNIFORM, 60, 200);
    cv::GaussianBlur(t, t, cv::Size(), 3);
    return t;
  }();
  cv::Mat f = texture.clone();
  const int open = static_cast<int>(10 + 8 * std::sin(2 * M_PI * 3 * i / 25.0));
  cv::ellipse(f, cv::Point(160, 150), cv::Size(40, open), 0, 0, 360, cv::Scalar(40, 40, 150), cv::FILLED);
  return f;
}

cv::Mat region() {
  cv::Mat m(240, 320, CV_8UC1, cv::Scalar(0));
  cv::rectangle(m, cv::Rect(100, 110, 120, 80), cv::Scalar(255), cv::FILLED);
  return m;
}

}  // namespace

TEST_CASE("video mark: only the region changes, invisibly, each second's payload comes back", "[watermark][video]") {
  VideoMarker marker(key_of(1), "consent", "output");
  VideoMarkDetector detector(key_of(1)), other(key_of(2)), plain(key_of(1));
  double error = 0;
  long pixels = 0;
  for (int i = 0; i < 75; ++i) {
    const cv::Mat original = scene(i);
    cv::Mat f = original.clone();
    marker.mark(f, region(), i / 25.0);
    cv::Mat diff;
    cv::absdiff(f, original, diff);
    cv::Mat outside;
    diff.copyTo(outside, 255 - region());
    REQUIRE(cv::countNonZero(outside.reshape(1)) == 0);  // bit for bit outside the region
    diff.convertTo(diff, CV_64F);
    error += cv::sum(diff.mul(diff))[0] / 3, pixels += cv::countNonZero(region());
    detector.add(f, i / 25.0);
    other.add(f, i / 25.0);
    plain.add(original, i / 25.0);
  }
  const double psnr = 10 * std::log10(255.0 * 255.0 * pixels / error);
  INFO("PSNR of the mark over the region: " << psnr << " dB");
  CHECK(psnr > 36.0);
  REQUIRE(marker.payloads().size() == 3);
  const auto found = detector.finish();
  REQUIRE(found.size() == 3);
  for (const VideoMarkSecond& s : found) {
    INFO("second " << s.second << " z " << s.score);
    CHECK(s.found);
    CHECK(s.frames == 25);
    CHECK(s.payload == watermark_payload(key_of(1), "consent", "output", static_cast<std::uint64_t>(s.second)));
    CHECK(s.payload == marker.payloads()[static_cast<std::size_t>(s.second)]);
  }
  for (const VideoMarkSecond& s : other.finish()) CHECK_FALSE(s.found);
  for (const VideoMarkSecond& s : plain.finish()) {
    CHECK_FALSE(s.found);
    CHECK(s.false_positive_probability > 1e-6);
  }
}

TEST_CASE("video mark: found after H.264 (CRF 18, as dubkit writes) in the frames read back", "[watermark][video]") {
  const std::string path = test::temp_dir("video-mark") + "/marked.mp4";
  VideoMarker marker(key_of(3), "consent", "output");
  {
    VideoWriter w(path, 320, 240, Waveform{});
    for (int i = 0; i < 50; ++i) {
      cv::Mat f = scene(i);
      marker.mark(f, region(), i / 25.0);
      w.write(f, i / 25.0);
    }
    w.finish();
  }
  const auto seconds = detect_video_watermark(path, key_of(3));
  REQUIRE(seconds.size() == 2);
  for (const VideoMarkSecond& s : seconds) {
    INFO("second " << s.second << " z " << s.score);
    CHECK(s.found);
    CHECK(s.payload == marker.payloads()[static_cast<std::size_t>(s.second)]);
  }
}

TEST_CASE("video mark: the null bound holds on unmarked content, whatever the key", "[watermark][video]") {
  // 40 keys over 3 unmarked seconds: every z under the level a 1e-6 false positive needs, and
  // the bound exp(-z^2/2) times the windows is what each second reports.
  std::vector<double> z;
  for (unsigned k = 0; k < 40; ++k) {
    VideoMarkDetector d(key_of(k));
    for (int i = 0; i < 75; ++i) d.add(scene(i), i / 25.0);
    for (const VideoMarkSecond& s : d.finish()) {
      CHECK_FALSE(s.found);
      z.push_back(s.score);
    }
  }
  double mean = 0;
  for (double v : z) mean += v / z.size();
  CHECK(*std::max_element(z.begin(), z.end()) < 5.5);
  CHECK(mean < 3.0);  // the best of 210 overlapping windows of N(0, 1)-like scores
}

TEST_CASE("video mark: bad frames, masks and times throw InvalidArgument", "[watermark][video]") {
  VideoMarker marker(key_of(1), "c", "o");
  cv::Mat f = scene(0);
  CHECK_THROWS_AS(marker.mark(f, cv::Mat(10, 10, CV_8UC1), 0.0), InvalidArgument);
  cv::Mat gray(240, 320, CV_8UC1);
  CHECK_THROWS_AS(marker.mark(gray, region(), 0.0), InvalidArgument);
  CHECK_THROWS_AS(marker.mark(f, region(), -1.0), InvalidArgument);
  marker.mark(f, region(), 2.0);
  CHECK_THROWS_AS(marker.mark(f, region(), 1.0), InvalidArgument);  // out of order
  VideoMarkDetector d(key_of(1));
  CHECK_THROWS_AS(d.add(f, std::nan("")), InvalidArgument);
  CHECK_THROWS_AS(VideoMarkDetector(key_of(1), 0.0), InvalidArgument);
}
