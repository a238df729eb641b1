// FrameSource, the lipsync job's input frames: the video once, then ping-pong or a held still,
// and its spill directory. Clips are made here: frame i is a flat grey of level kLevel(i), which
// survives H.264 within a few levels.
#include <catch2/catch.hpp>

#include <filesystem>

#include "core/error.hpp"
#include "lipsync/frame_source.hpp"
#include "support.hpp"
#include "video/video_writer.hpp"

using namespace dubkit;
namespace fs = std::filesystem;

namespace {

int level(int i) { return 30 + 40 * i; }

// `frames` flat grey frames at 25 fps, no sound.
std::string grey_clip(const std::string& dir, int frames) {
  const std::string path = dir + "/grey" + std::to_string(frames) + ".mp4";
  VideoWriter w(path, 64, 48, Waveform{});
  for (int i = 0; i < frames; ++i) w.write(cv::Mat(48, 64, CV_8UC3, cv::Scalar::all(level(i))), i / 25.0);
  w.finish();
  return path;
}

// The index whose level the frame shows, -1 when none is within 8 levels.
int shown(const cv::Mat& bgr) {
  const double mean = cv::mean(bgr)[1];
  for (int i = 0; i < 6; ++i)
    if (std::abs(mean - level(i)) < 8) return i;
  return -1;
}

// The indices of the next `n` frames; -2 where next() returned false.
std::vector<int> take(FrameSource& source, int n) {
  std::vector<int> out;
  for (int k = 0; k < n; ++k) {
    cv::Mat bgr;
    double duration = 0;
    out.push_back(source.next(bgr, duration) ? shown(bgr) : -2);
  }
  return out;
}

}  // namespace

TEST_CASE("frame source: the video once, then false once, without spilling when it is long enough", "[lipsync][frame-source]") {
  const std::string dir = test::temp_dir("frame-source");
  const std::string spill = dir + "/spill";
  FrameSource source(grey_clip(dir, 5), 0.2, spill);  // 5 frames of 0.04 s: as long as needed
  CHECK(source.info().width == 64);
  CHECK_FALSE(fs::exists(spill));
  CHECK_FALSE(source.extending());
  cv::Mat bgr;
  double duration = 0;
  for (int i = 0; i < 5; ++i) {
    REQUIRE(source.next(bgr, duration));
    CHECK(shown(bgr) == i);
    CHECK(duration == Approx(0.04).margin(1e-6));
  }
  CHECK(source.decoded() == 5);
  CHECK_FALSE(source.next(bgr, duration));
  CHECK(source.extending());
}

TEST_CASE("frame source: longer speech plays the frames backward and forward in turn", "[lipsync][frame-source]") {
  const std::string dir = test::temp_dir("frame-source");
  const std::string spill = dir + "/spill";
  {
    FrameSource source(grey_clip(dir, 5), 0.6, spill);
    CHECK(fs::is_directory(spill));
    CHECK(take(source, 5) == std::vector<int>{0, 1, 2, 3, 4});
    CHECK(std::distance(fs::directory_iterator(spill), fs::directory_iterator()) == 5);  // one PNG per frame
    CHECK(take(source, 1) == std::vector<int>{-2});
    CHECK(source.extending());
    // Turning at either end without repeating the end frame.
    CHECK(take(source, 10) == std::vector<int>{3, 2, 1, 0, 1, 2, 3, 4, 3, 2});
    CHECK(source.decoded() == 5);
  }
  CHECK_FALSE(fs::exists(spill));  // cleaned up with the source
}

TEST_CASE("frame source: a one-frame video and an overstated length are held still", "[lipsync][frame-source]") {
  const std::string dir = test::temp_dir("frame-source");
  SECTION("one frame, spilled") {
    FrameSource source(grey_clip(dir, 1), 1.0, dir + "/spill");
    CHECK(take(source, 5) == std::vector<int>{0, -2, 0, 0, 0});
  }
  SECTION("the container said the video was long enough: the last frame is held, a fresh copy each time") {
    FrameSource source(grey_clip(dir, 3), 0.12, dir + "/spill");
    CHECK_FALSE(fs::exists(dir + "/spill"));
    CHECK(take(source, 4) == std::vector<int>{0, 1, 2, -2});
    cv::Mat a, b;
    double da = 0, db = 0;
    REQUIRE(source.next(a, da));
    REQUIRE(source.next(b, db));
    CHECK(shown(a) == 2);
    CHECK(da == Approx(0.04).margin(1e-6));
    a.setTo(cv::Scalar::all(0));  // each is composited on its own
    CHECK(shown(b) == 2);
  }
  CHECK_FALSE(fs::exists(dir + "/spill"));
}

TEST_CASE("frame source: the spill directory goes when an error unwinds", "[lipsync][frame-source]") {
  const std::string dir = test::temp_dir("frame-source");
  const std::string spill = dir + "/spill";
  const std::string clip = grey_clip(dir, 2);
  try {
    FrameSource source(clip, 1.0, spill);
    take(source, 2);
    REQUIRE(fs::exists(spill + "/1.png"));
    throw IoError("a later stage failed");
  } catch (const IoError&) {
  }
  CHECK_FALSE(fs::exists(spill));
  CHECK_THROWS_AS(FrameSource(dir + "/missing.mp4", 1.0, spill), Error);
}
