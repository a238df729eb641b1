// Video I/O: every clip is made here with VideoWriter (synthetic gradients with the frame index
// coded as black/white blocks), then read back.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <type_traits>

#include <opencv2/imgproc.hpp>

#include "audio/io.hpp"
#include "core/error.hpp"
#include "support.hpp"
#include "video/video_reader.hpp"
#include "video/video_writer.hpp"

using namespace dubkit;

namespace {

constexpr int kBits = 10;  // frame indices up to 1023 are coded in the picture

// Smooth gradients that move with the index, a disc, the index as text, and the index as
// kBits blocks along the top (white = 1), which survive lossy coding.
cv::Mat numbered_frame(int width, int height, int index) {
  cv::Mat img(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      img.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>(std::min(255, std::abs((x + 3 * index) % 512 - 256))),
                                          static_cast<uchar>((y * 255) / height),
                                          static_cast<uchar>(128 + 60 * std::sin(0.05 * (x + y))));
  cv::circle(img, {width / 2 + index % 20, height / 2}, height / 5, {40, 200, 90}, cv::FILLED);
  cv::putText(img, std::to_string(index), {width / 8, height - height / 6}, cv::FONT_HERSHEY_SIMPLEX, height / 120.0,
              {255, 255, 255}, 2);
  const int block = width / kBits;
  for (int b = 0; b < kBits; ++b)
    img(cv::Rect(b * block, 0, block, block / 2)).setTo((index >> b) & 1 ? cv::Scalar::all(255) : cv::Scalar::all(0));
  return img;
}

int decoded_index(const cv::Mat& img) {
  const int block = img.cols / kBits;
  int index = 0;
  for (int b = 0; b < kBits; ++b)
    if (cv::mean(img(cv::Rect(b * block + block / 4, block / 8, block / 2, block / 4)))[1] > 128) index |= 1 << b;
  return index;
}

Waveform tone(int rate, double seconds, double hz = 1000, double amplitude = 0.5) {
  Waveform w{rate, std::vector<float>(static_cast<std::size_t>(rate * seconds))};
  for (std::size_t i = 0; i < w.samples.size(); ++i)
    w.samples[i] = static_cast<float>(amplitude * std::sin(2 * M_PI * hz * double(i) / rate));
  return w;
}

// Writes numbered frames at the given times; returns nothing, the times are the caller's.
void write_clip(const std::string& path, int width, int height, const std::vector<double>& pts,
                const Waveform& audio = {}, const VideoWriterOptions& opts = {}, double last_duration = 0) {
  VideoWriter writer(path, width, height, audio, opts);
  for (std::size_t i = 0; i < pts.size(); ++i)
    writer.write(numbered_frame(width, height, static_cast<int>(i)), pts[i], i + 1 == pts.size() ? last_duration : 0);
  writer.finish();
}

std::vector<double> regular(int n, double fps) {
  std::vector<double> pts(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) pts[static_cast<std::size_t>(i)] = i / fps;
  return pts;
}

std::vector<VideoFrame> read_all(const std::string& path) {
  VideoReader reader(path);
  std::vector<VideoFrame> frames;
  VideoFrame f;
  while (reader.read(f)) frames.push_back(f);  // cv::Mat copies share; the reader then allocates anew
  return frames;
}

// First sample whose magnitude reaches half the tone's amplitude.
long onset(const Waveform& w, double level = 0.25) {
  for (std::size_t i = 0; i < w.samples.size(); ++i)
    if (std::fabs(w.samples[i]) >= level) return static_cast<long>(i);
  return -1;
}

// PSNR of the luma (OpenCV's grey): the codec's quality measure. 4:2:0 chroma subsampling
// and the reader's fast chroma conversion alone hold BGR PSNR near 35 dB at sharp colour
// edges even when the codec is lossless (crf 0), so BGR PSNR is checked only as a colour sanity
// bound (a wrong colour matrix gives < 30 dB).
double luma_psnr(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat ga, gb;
  cv::cvtColor(a, ga, cv::COLOR_BGR2GRAY);
  cv::cvtColor(b, gb, cv::COLOR_BGR2GRAY);
  return cv::PSNR(ga, gb);
}

template <class E, class F>
void expect_error_naming(const std::string& path, F&& f) {
  try {
    f();
    FAIL("no error for " << path);
  } catch (const E& e) {
    INFO(e.what());
    CHECK(std::string(e.what()).find(path) != std::string::npos);
  }
}

long resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return pages_resident * 4096;
}

}  // namespace

static_assert(!std::is_copy_constructible_v<VideoReader> && std::is_nothrow_move_constructible_v<VideoReader>);
static_assert(!std::is_copy_constructible_v<VideoWriter> && std::is_nothrow_move_constructible_v<VideoWriter>);

TEST_CASE("round trip at 25 fps keeps frame count, timing, size and pixels", "[video]") {
  const std::string path = test::temp_dir("video") + "/clip.mp4";
  const std::vector<double> pts = regular(50, 25);
  write_clip(path, 320, 240, pts, tone(16000, 2.0));

  VideoReader reader(path);
  const VideoInfo& info = reader.info();
  CHECK(info.width == 320);
  CHECK(info.height == 240);
  CHECK(info.video_codec == "h264");
  CHECK(info.fps == Approx(25).margin(0.01));
  CHECK(info.frame_count == 50);
  CHECK(info.duration == Approx(2.0).margin(0.001));
  CHECK(info.has_audio);
  CHECK(info.audio_rate == 16000);
  CHECK(info.audio_channels == 1);

  VideoFrame frame;
  long n = 0;
  const double half_tick = 0.5 / 90000;
  while (reader.read(frame)) {
    INFO("frame " << n);
    REQUIRE(n < 50);
    CHECK(frame.index == n);
    CHECK(frame.bgr.size() == cv::Size(320, 240));
    CHECK(frame.bgr.type() == CV_8UC3);
    CHECK(std::fabs(frame.pts - pts[static_cast<std::size_t>(n)]) <= half_tick);
    CHECK(frame.duration == Approx(0.04).margin(2 * half_tick));
    CHECK(decoded_index(frame.bgr) == n);
    const cv::Mat original = numbered_frame(320, 240, static_cast<int>(n));
    CHECK(luma_psnr(frame.bgr, original) > 35);
    CHECK(cv::PSNR(frame.bgr, original) > 30);
    ++n;
  }
  CHECK(n == 50);
  CHECK(reader.damaged_packets() == 0);
}

TEST_CASE("the source's time base keeps 25 fps timing exact", "[video]") {
  const std::string path = test::temp_dir("video") + "/tb25.mp4";
  VideoWriterOptions opts;
  opts.time_base_num = 1;
  opts.time_base_den = 25;
  write_clip(path, 160, 120, regular(30, 25), {}, opts);
  const std::vector<VideoFrame> frames = read_all(path);
  REQUIRE(frames.size() == 30);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    INFO("frame " << i);
    CHECK(frames[i].pts == Approx(i / 25.0).margin(1e-12));
  }
}

TEST_CASE("variable frame rate: irregular pts and durations survive", "[video]") {
  const std::string path = test::temp_dir("video") + "/vfr.mp4";
  const std::vector<double> steps = {0.04, 0.0333, 0.1, 0.02, 0.0667, 0.04, 0.5, 0.04, 0.03, 0.05};
  std::vector<double> pts = {0.0};
  for (int i = 0; i < 29; ++i) pts.push_back(pts.back() + steps[static_cast<std::size_t>(i) % steps.size()]);
  write_clip(path, 192, 108, pts, {}, {}, 0.25);

  const std::vector<VideoFrame> frames = read_all(path);
  REQUIRE(frames.size() == pts.size());
  const double half_tick = 0.5 / 90000;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    INFO("frame " << i);
    CHECK(std::fabs(frames[i].pts - pts[i]) <= half_tick);
    const double expected = i + 1 < pts.size() ? pts[i + 1] - pts[i] : 0.25;
    CHECK(std::fabs(frames[i].duration - expected) <= 2 * half_tick);
    CHECK(decoded_index(frames[i].bgr) == static_cast<int>(i));
  }
}

TEST_CASE("audio is read on the video timeline", "[video][audio]") {
  const std::string dir = test::temp_dir("video");
  // The tone starts at the audio's first sample, so its onset is where the track begins.
  const Waveform sound = tone(16000, 1.0);
  VideoWriterOptions late;
  late.audio_start = 4 / 25.0;  // four frames
  write_clip(dir + "/late.mp4", 160, 120, regular(40, 25), sound, late);
  write_clip(dir + "/on_time.mp4", 160, 120, regular(40, 25), sound);

  const long tolerance = 16000 * 3 / 1000;  // 3 ms
  const Waveform on_time = read_audio_track(dir + "/on_time.mp4", 16000);
  CHECK(on_time.rate == 16000);
  CHECK(std::labs(onset(on_time) - 0) <= tolerance);

  const Waveform delayed = read_audio_track(dir + "/late.mp4", 16000);
  CHECK(std::labs(onset(delayed) - 2560) <= tolerance);  // 160 ms at 16 kHz
  // Silence before the start, except the pre-echo of AAC's transform in the one frame (1024
  // samples) that overlaps the onset, which stays 20 dB below the tone.
  for (long i = 0; i < 2560 - 1024; ++i) REQUIRE(delayed.samples[static_cast<std::size_t>(i)] == 0.0f);
  for (long i = 2560 - 1024; i < 2560 - tolerance; ++i)
    REQUIRE(std::fabs(delayed.samples[static_cast<std::size_t>(i)]) < 0.05);
  // The whole second of tone follows, at its level (AAC keeps the RMS within a few percent).
  REQUIRE(delayed.samples.size() >= 2560 + 16000);
  double energy = 0;
  for (std::size_t i = 2560 + 800; i < 2560 + 15200; ++i) energy += double(delayed.samples[i]) * delayed.samples[i];
  CHECK(std::sqrt(energy / 14400) == Approx(0.5 / std::sqrt(2.0)).epsilon(0.05));

  // Another rate: the same instant.
  const Waveform at48 = read_audio_track(dir + "/late.mp4", 48000);
  CHECK(at48.rate == 48000);
  CHECK(std::labs(onset(at48) - 7680) <= 3 * tolerance);
}

TEST_CASE("container metadata is carried", "[video]") {
  const std::string path = test::temp_dir("video") + "/tags.mp4";
  VideoWriterOptions opts;
  opts.metadata = {{"title", "Synthetic test clip"}, {"dubkit_consent", "consent-1234"}, {"major_brand", "junk"}};
  write_clip(path, 160, 120, regular(5, 25), {}, opts);
  const VideoReader reader(path);
  const auto& tags = reader.info().metadata;
  REQUIRE(tags.count("title"));
  CHECK(tags.at("title") == "Synthetic test clip");
  REQUIRE(tags.count("dubkit_consent"));
  CHECK(tags.at("dubkit_consent") == "consent-1234");
  REQUIRE(tags.count("major_brand"));
  CHECK(tags.at("major_brand") != "junk");  // the muxer's own, not the caller's
}

TEST_CASE("a video without audio track", "[video]") {
  const std::string path = test::temp_dir("video") + "/silent.mp4";
  write_clip(path, 160, 120, regular(5, 25));
  const VideoReader reader(path);
  CHECK_FALSE(reader.info().has_audio);
  CHECK(reader.info().audio_rate == 0);
  expect_error_naming<FormatError>(path, [&] { read_audio_track(path, 16000); });
}

TEST_CASE("missing, empty, corrupt and audio-only files are refused with the file named", "[video]") {
  const std::string dir = test::temp_dir("video");
  const std::string good = dir + "/good.mp4";
  write_clip(good, 160, 120, regular(25, 25), tone(16000, 1.0));
  std::string bytes;
  {
    std::ifstream in(good, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  REQUIRE(bytes.size() > 1000);
  auto save = [&](const std::string& name, const std::string& content) {
    std::ofstream(dir + "/" + name, std::ios::binary) << content;
    return dir + "/" + name;
  };
  std::mt19937 rng(7);
  std::string noise(20000, '\0');
  for (char& c : noise) c = static_cast<char>(rng() & 0xff);
  const std::string wav = dir + "/speech.wav";
  write_audio(wav, tone(16000, 0.5));

  for (const std::string& path : {save("empty.mp4", ""), save("noise.mp4", noise),
                                  save("truncated.mp4", bytes.substr(0, bytes.size() / 2)), wav}) {
    INFO(path);
    expect_error_naming<FormatError>(path, [&] { VideoReader r(path); });
    expect_error_naming<FormatError>(path, [&] { read_audio_track(path, 16000); });
  }
  expect_error_naming<IoError>(dir + "/missing.mp4", [&] { VideoReader r(dir + "/missing.mp4"); });
  expect_error_naming<IoError>(dir, [&] { VideoReader r(dir); });

  // Damage inside the coded pictures: decoding goes on, the file's timing stays.
  std::string damaged = bytes;
  const std::size_t mdat = damaged.find("mdat");
  REQUIRE(mdat != std::string::npos);
  for (std::size_t i = mdat + 2000; i < mdat + 2400 && i < damaged.size(); ++i) damaged[i] = static_cast<char>(rng());
  const std::string hurt = save("damaged.mp4", damaged);
  try {
    const std::vector<VideoFrame> frames = read_all(hurt);
    CHECK(frames.size() >= 20);
    for (std::size_t i = 1; i < frames.size(); ++i) CHECK(frames[i].pts > frames[i - 1].pts);
  } catch (const FormatError& e) {
    CHECK(std::string(e.what()).find(hurt) != std::string::npos);
  }
}

TEST_CASE("a one-frame video", "[video]") {
  const std::string dir = test::temp_dir("video");
  write_clip(dir + "/one.mp4", 160, 120, {0.0}, tone(16000, 0.3));
  write_clip(dir + "/one_long.mp4", 160, 120, {0.0}, {}, {}, 0.5);

  const std::vector<VideoFrame> one = read_all(dir + "/one.mp4");
  REQUIRE(one.size() == 1);
  CHECK(one[0].pts == 0);
  CHECK(one[0].duration == Approx(0.04).margin(1e-4));  // the writer's 1/25 s default
  CHECK(luma_psnr(one[0].bgr, numbered_frame(160, 120, 0)) > 35);
  CHECK(cv::PSNR(one[0].bgr, numbered_frame(160, 120, 0)) > 30);
  CHECK(std::labs(onset(read_audio_track(dir + "/one.mp4", 16000))) <= 48);

  const std::vector<VideoFrame> held = read_all(dir + "/one_long.mp4");
  REQUIRE(held.size() == 1);
  CHECK(held[0].duration == Approx(0.5).margin(1e-4));
}

TEST_CASE("odd sizes keep their size (coded 4:4:4)", "[video]") {
  const std::string path = test::temp_dir("video") + "/odd.mp4";
  write_clip(path, 321, 241, regular(10, 25));
  const std::vector<VideoFrame> frames = read_all(path);
  REQUIRE(frames.size() == 10);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    INFO("frame " << i);
    CHECK(frames[i].bgr.size() == cv::Size(321, 241));
    CHECK(decoded_index(frames[i].bgr) == static_cast<int>(i));
    CHECK(cv::PSNR(frames[i].bgr, numbered_frame(321, 241, static_cast<int>(i))) > 35);
  }
}

TEST_CASE("the reader holds O(1) frames: buffers are reused, kept ones are not overwritten", "[video]") {
  const std::string path = test::temp_dir("video") + "/long.mp4";
  const int n = 150;
  VideoWriterOptions fast;
  fast.preset = "ultrafast";
  write_clip(path, 640, 360, regular(n, 25), {}, fast);  // 150 decoded frames would be 104 MB

  VideoReader reader(path);
  VideoFrame frame;
  REQUIRE(reader.read(frame));
  const cv::Mat kept = frame.bgr;  // shares the buffer: the reader must not write into it
  const cv::Mat kept_copy = kept.clone();
  REQUIRE(reader.read(frame));
  CHECK(frame.bgr.data != kept.data);
  const uchar* reused = frame.bgr.data;
  long count = 2;
  long rss_at_20 = 0;
  while (reader.read(frame)) {
    CHECK(frame.bgr.data == reused);
    if (++count == 20) rss_at_20 = resident_bytes();
  }
  CHECK(count == n);
  CHECK(cv::norm(kept, kept_copy, cv::NORM_INF) == 0);
  CHECK(resident_bytes() - rss_at_20 < 20L * 1024 * 1024);
}

TEST_CASE("the writer refuses bad requests and leaves no partial file", "[video]") {
  const std::string dir = test::temp_dir("video");
  const cv::Mat frame = numbered_frame(160, 120, 0);
  {
    VideoWriter writer(dir + "/a.mp4", 160, 120, {});
    CHECK_THROWS_AS(writer.write(numbered_frame(162, 120, 0), 0), InvalidArgument);
    CHECK_THROWS_AS(writer.write(cv::Mat(120, 160, CV_8UC1), 0), InvalidArgument);
    writer.write(frame, 0.1);
    CHECK_THROWS_AS(writer.write(frame, 0.1), InvalidArgument);
    CHECK_THROWS_AS(writer.write(frame, 0.1 + 0.1 / 90000), InvalidArgument);  // same tick
    writer.finish();
    writer.finish();
    CHECK_THROWS_AS(writer.write(frame, 1.0), InvalidArgument);
  }
  CHECK(std::filesystem::exists(dir + "/a.mp4"));

  VideoWriterOptions bad_preset;
  bad_preset.preset = "warpspeed";
  CHECK_THROWS_AS(VideoWriter(dir + "/b.mp4", 160, 120, {}, bad_preset), InvalidArgument);
  VideoWriterOptions bad_crf;
  bad_crf.crf = 60;
  CHECK_THROWS_AS(VideoWriter(dir + "/b.mp4", 160, 120, {}, bad_crf), InvalidArgument);
  CHECK_THROWS_AS(VideoWriter(dir + "/b.unknownext", 160, 120, {}), InvalidArgument);
  CHECK_THROWS_AS(VideoWriter(dir + "/b.mp4", 0, 120, {}), InvalidArgument);
  CHECK_THROWS_AS(VideoWriter(dir + "/no/such/dir/b.mp4", 160, 120, {}), IoError);
  CHECK_THROWS_AS(VideoWriter(dir + "/a.mp4", 160, 120, {}, {}, {dir + "/a.mp4"}), InvalidArgument);

  // An exception between writes: the unwinding drops the file instead of completing it.
  try {
    VideoWriter writer(dir + "/c.mp4", 160, 120, {});
    writer.write(frame, 0);
    throw std::runtime_error("job failed");
  } catch (const std::runtime_error&) {
  }
  CHECK_FALSE(std::filesystem::exists(dir + "/c.mp4"));
  // Going out of scope normally completes it.
  {
    VideoWriter writer(dir + "/d.mp4", 160, 120, {});
    writer.write(frame, 0);
  }
  CHECK(read_all(dir + "/d.mp4").size() == 1);
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    CHECK(entry.path().filename().string().find(".tmp") == std::string::npos);
}
