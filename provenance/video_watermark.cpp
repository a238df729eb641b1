// The video mark: see video_watermark.hpp.
#include "provenance/video_watermark.hpp"

#include <sodium.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include <opencv2/imgproc.hpp>

#include "core/error.hpp"
#include "provenance/watermark_scheme.hpp"
#include "video/video_reader.hpp"

namespace dubkit {

namespace {

using watermark_scheme::kCodedBits;

// Measured on the sample's Spanish dub (docs/WATERMARK.md): 32 / 64 / 96 / 128 columns, 2 / 5 /
// 10 / 25 slots and amplitudes 3 to 6 were tried; finer cells and a new pattern every frame gave
// the highest scores after re-encoding, and 5 grey levels keep the mark about 38 dB under the
// region (region_psnr in the robustness report).
constexpr int kGridColumns = 128;
constexpr int kSlots = 25;               // per second: one per frame at 25 fps
constexpr double kAmplitude = 5.0;       // grey levels at a unit's centre       // grey levels at a unit's centre
constexpr double kFeatherCells = 0.5;    // the mask's inward feather, Gaussian sigma in cells
constexpr double kLocalMeanCells = 1.5;  // detection's local mean, Gaussian sigma in cells
constexpr double kPtsSlack = 1e-3;       // seconds: a frame on a slot boundary stays in its slot after re-timing
// Windows tried per second, in cells: a face's mouth region in a medium shot (32 x 24: a quarter
// of the frame's width) and in a close-up (56 x 40), every 8 cells.
constexpr int kWindowStride = 8;
const cv::Size kWindows[] = {{32, 24}, {56, 40}};

cv::Size grid_for(cv::Size frame) {
  const int rows = std::max(1, static_cast<int>(std::lround(double(kGridColumns) * frame.height / frame.width)));
  return {kGridColumns, rows};
}

}  // namespace

// Per unit (slot, row, col): sign (+1/-1) and role (-1: sync, else the coded bit carried).
struct VideoMarkUnits {
  cv::Size grid;
  std::vector<signed char> sign;
  std::vector<short> role;
  std::size_t index(int slot, int row, int col) const {
    return (static_cast<std::size_t>(slot) * grid.height + row) * grid.width + col;
  }
};

namespace {

using Units = VideoMarkUnits;

Units make_units(const WatermarkKey& key, cv::Size grid) {
  watermark_scheme::ensure_sodium();
  static const char kDomain[] = "dubkit video watermark v1";
  unsigned char seed[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256(seed, reinterpret_cast<const unsigned char*>(kDomain), sizeof kDomain - 1, key.bytes.data());
  Units u;
  u.grid = grid;
  const std::size_t n = static_cast<std::size_t>(kSlots) * grid.area();
  std::vector<unsigned char> stream(4 * n);
  const unsigned char nonce[crypto_stream_chacha20_NONCEBYTES] = {};
  crypto_stream_chacha20(stream.data(), stream.size(), nonce, seed);
  sodium_memzero(seed, sizeof seed);
  u.sign.resize(n);
  u.role.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::uint32_t w;
    std::memcpy(&w, stream.data() + 4 * i, 4);
    u.sign[i] = (w & 1u) ? 1 : -1;
    u.role[i] = (w & 2u) ? -1 : static_cast<short>((w >> 2) % kCodedBits);
  }
  return u;
}

// The key's units for `grid`: `cached` when it is for that grid.
std::shared_ptr<const Units> units_for(std::shared_ptr<const Units> cached, const WatermarkKey& key, cv::Size grid) {
  if (cached && cached->grid == grid) return cached;
  return std::make_shared<const Units>(make_units(key, grid));
}

// The slot and second of a frame shown at `pts`.
void place(double pts, long& second, int& slot) {
  const double t = pts + kPtsSlack;
  second = static_cast<long>(std::floor(t));
  slot = std::min(kSlots - 1, static_cast<int>((t - second) * kSlots));
}

void check_frame(const cv::Mat& bgr, double pts, const char* who) {
  if (bgr.type() != CV_8UC3 || bgr.empty()) throw InvalidArgument(std::string(who) + ": frames must be 8-bit BGR");
  if (!std::isfinite(pts) || pts < 0) throw InvalidArgument(std::string(who) + ": bad frame time " + std::to_string(pts));
}

}  // namespace

VideoMarker::VideoMarker(const WatermarkKey& key, std::string consent_id, std::string output_id)
    : key_(key), consent_id_(std::move(consent_id)), output_id_(std::move(output_id)) {}

void VideoMarker::mark(cv::Mat& bgr, const cv::Mat& region, double pts) {
  check_frame(bgr, pts, "video mark");
  if (region.type() != CV_8UC1 || region.size() != bgr.size())
    throw InvalidArgument("video mark: the region mask must be 8-bit, the frame's size");
  long second;
  int slot;
  place(pts, second, slot);
  if (second < last_second_) throw InvalidArgument("video mark: frames out of order at " + std::to_string(pts) + " s");
  const cv::Rect roi = cv::boundingRect(region);
  if (roi.empty()) return;
  const cv::Size grid = grid_for(bgr.size());
  units_ = units_for(units_, key_, grid);
  const Units& units = *units_;
  if (second != last_second_)
    payloads_.push_back(watermark_payload(key_, consent_id_, output_id_, static_cast<std::uint64_t>(second)));
  last_second_ = second;
  const auto coded = watermark_scheme::conv_encode(payloads_.back());
  cv::Mat values(grid, CV_32F);
  for (int r = 0; r < grid.height; ++r)
    for (int c = 0; c < grid.width; ++c) {
      const std::size_t i = units.index(slot, r, c);
      const int bit = units.role[i] < 0 ? 0 : coded[static_cast<std::size_t>(units.role[i])];
      values.at<float>(r, c) = static_cast<float>(units.sign[i] * (bit ? -1 : 1));
    }
  // Only the region's box, grown by the feather's reach, is worked on: whole-frame work cost
  // 80 ms per 1080p frame. The pattern over that box is the bilinear resize of the grid to the
  // frame (cell centres at the grid's sample points), evaluated there only.
  const double cell = double(bgr.cols) / grid.width, sigma = kFeatherCells * cell;
  const int reach = static_cast<int>(std::ceil(4 * sigma)) + 1;  // OpenCV's Gaussian kernel radius for float
  const cv::Rect box = (roi + cv::Size(2 * reach, 2 * reach) - cv::Point(reach, reach)) & cv::Rect(0, 0, bgr.cols, bgr.rows);
  const double sx = double(grid.width) / bgr.cols, sy = double(grid.height) / bgr.rows;
  const cv::Matx23d to_grid(sx, 0, (box.x + 0.5) * sx - 0.5, 0, sy, (box.y + 0.5) * sy - 0.5);
  cv::Mat pattern;
  cv::warpAffine(values, pattern, to_grid, box.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
  cv::Mat weight, inside;
  region(box).convertTo(weight, CV_32F, 1.0 / 255);
  cv::GaussianBlur(weight, weight, cv::Size(), sigma);  // zeros fill the margin, as they would on the whole frame
  cv::threshold(region(box), inside, 0, 1, cv::THRESH_BINARY);
  inside.convertTo(inside, CV_32F);
  const cv::Rect in_box = roi - box.tl();
  cv::Mat delta = pattern(in_box).mul(weight(in_box)).mul(inside(in_box)) * kAmplitude;
  cv::Mat planes[3] = {delta, delta, delta}, delta3;
  cv::merge(planes, 3, delta3);
  cv::Mat area;
  bgr(roi).convertTo(area, CV_32FC3);
  area += delta3;
  area.convertTo(bgr(roi), CV_8UC3);  // rounds and saturates
}

VideoMarkDetector::VideoMarkDetector(const WatermarkKey& key, double max_false_positive)
    : key_(key), max_false_positive_(max_false_positive) {
  if (!(max_false_positive > 0 && max_false_positive <= 1))
    throw InvalidArgument("video mark: max_false_positive must be in (0, 1]");
}

void VideoMarkDetector::add(const cv::Mat& bgr, double pts) {
  check_frame(bgr, pts, "video mark detection");
  long second;
  int slot;
  place(pts, second, slot);
  if (second < current_) throw InvalidArgument("video mark detection: frames out of order at " + std::to_string(pts) + " s");
  const cv::Size grid = grid_for(bgr.size());
  if (grid_.area() && grid != grid_) throw InvalidArgument("video mark detection: the frame size changed");
  grid_ = grid;
  if (second != current_) {
    if (current_ >= 0) close_second();
    current_ = second;
    slots_.clear();  // a buffer of its own per slot (cv::Mat copies would share one)
    for (int s = 0; s < kSlots; ++s) slots_.emplace_back(grid, CV_64F, cv::Scalar(0));
    slot_frames_.assign(kSlots, 0);
    frames_ = 0;
  }
  cv::Mat gray, cells, local;
  cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
  gray.convertTo(gray, CV_32F);
  cv::resize(gray, cells, grid, 0, 0, cv::INTER_AREA);
  cv::GaussianBlur(cells, local, cv::Size(), kLocalMeanCells, kLocalMeanCells, cv::BORDER_REFLECT);
  cells -= local;
  cv::Mat add64;
  cells.convertTo(add64, CV_64F);
  slots_[static_cast<std::size_t>(slot)] += add64;
  ++slot_frames_[static_cast<std::size_t>(slot)];
  ++frames_;
}

void VideoMarkDetector::close_second() {
  VideoMarkSecond out;
  out.second = current_;
  out.frames = frames_;
  units_ = units_for(units_, key_, grid_);
  const Units& units = *units_;
  // Static content cancels: each cell's mean over the slots that have frames is taken out.
  cv::Mat mean = cv::Mat::zeros(grid_, CV_64F);
  int used = 0;
  for (int s = 0; s < kSlots; ++s)
    if (slot_frames_[static_cast<std::size_t>(s)]) mean += slots_[static_cast<std::size_t>(s)], ++used;
  if (used) mean /= used;
  // Per cell, a weight from the content alone, never the key (so the bound holds): the inverse
  // of its variance over the slots, floored at a tenth of the mean, so busy cells (lips moving)
  // count less.
  cv::Mat weight(grid_, CV_64F, cv::Scalar(1));
  if (used > 1) {
    cv::Mat var(grid_, CV_64F, cv::Scalar(0));
    for (int s = 0; s < kSlots; ++s)
      if (slot_frames_[static_cast<std::size_t>(s)]) {
        const cv::Mat d = slots_[static_cast<std::size_t>(s)] - mean;
        var += d.mul(d);
      }
    var /= used;
    const double med = cv::mean(var)[0];
    for (int r = 0; r < grid_.height; ++r)
      for (int c = 0; c < grid_.width; ++c) weight.at<double>(r, c) = 1.0 / (var.at<double>(r, c) + 0.1 * med + 1e-9);
  }
  // Per cell, summed over the slots: the signed sync values and their squares.
  cv::Mat signed_sum = cv::Mat::zeros(grid_, CV_64F), square_sum = cv::Mat::zeros(grid_, CV_64F);
  for (int s = 0; s < kSlots; ++s) {
    if (!slot_frames_[static_cast<std::size_t>(s)]) continue;
    const cv::Mat x = (slots_[static_cast<std::size_t>(s)] - mean).mul(weight);
    for (int r = 0; r < grid_.height; ++r)
      for (int c = 0; c < grid_.width; ++c) {
        const std::size_t i = units.index(s, r, c);
        if (units.role[i] >= 0) continue;
        const double v = x.at<double>(r, c);
        signed_sum.at<double>(r, c) += units.sign[i] * v;
        square_sum.at<double>(r, c) += v * v;
      }
  }
  cv::Mat si, qi;
  cv::integral(signed_sum, si, CV_64F);
  cv::integral(square_sum, qi, CV_64F);
  auto box = [](const cv::Mat& ii, const cv::Rect& w) {
    return ii.at<double>(w.y + w.height, w.x + w.width) - ii.at<double>(w.y, w.x + w.width) -
           ii.at<double>(w.y + w.height, w.x) + ii.at<double>(w.y, w.x);
  };
  long windows = 0;
  double best = -1e300;
  for (const cv::Size& size : kWindows) {
    const cv::Size w(std::min(size.width, grid_.width), std::min(size.height, grid_.height));
    for (int y = 0; y + w.height <= grid_.height; y += kWindowStride)
      for (int x = 0; x + w.width <= grid_.width; x += kWindowStride) {
        const cv::Rect rect(x, y, w.width, w.height);
        const double q = box(qi, rect);
        const double z = q > 0 ? box(si, rect) / std::sqrt(q) : 0.0;
        ++windows;
        if (z > best) best = z, out.window = rect;
      }
  }
  out.score = best;
  out.false_positive_probability = std::min(1.0, windows * watermark_tail_bound(best));
  out.found = out.false_positive_probability <= max_false_positive_;
  if (out.found) {
    std::array<double, kCodedBits> soft{};
    for (int s = 0; s < kSlots; ++s) {
      if (!slot_frames_[static_cast<std::size_t>(s)]) continue;
      const cv::Mat x = (slots_[static_cast<std::size_t>(s)] - mean).mul(weight);
      for (int r = out.window.y; r < out.window.y + out.window.height; ++r)
        for (int c = out.window.x; c < out.window.x + out.window.width; ++c) {
          const std::size_t i = units.index(s, r, c);
          if (units.role[i] >= 0) soft[static_cast<std::size_t>(units.role[i])] += units.sign[i] * x.at<double>(r, c);
        }
    }
    out.payload = watermark_scheme::viterbi_decode(soft);
  }
  done_.push_back(out);
}

std::vector<VideoMarkSecond> VideoMarkDetector::finish() {
  if (current_ >= 0) close_second();
  current_ = -1;
  return std::exchange(done_, {});
}

std::vector<VideoMarkSecond> detect_video_watermark(const std::string& path, const WatermarkKey& key,
                                                    double max_false_positive) {
  VideoReader reader(path);
  VideoMarkDetector detector(key, max_false_positive);
  VideoFrame frame;
  while (reader.read(frame)) detector.add(frame.bgr, frame.pts);
  return detector.finish();
}

}  // namespace dubkit
