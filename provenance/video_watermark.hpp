// The keyed mark in the frames of lip-synced video (issue 22, item 17): in the re-rendered
// region only, invisible, one 32-bit payload per second of video under the studio's watermark
// key, the same payload as the audio mark's block of that second (watermark.hpp).
//
// THE SCHEME
// - A grid over the frame in frame-relative units: 128 columns and round(128 H / W) rows (72 at
//   16:9; 5 pixels a cell at 640 x 360), so scaling the video moves no cell. A second of video is
//   cut into 25 slots (a frame each at 25 fps); each (slot, cell) is a unit with a key-derived
//   sign and role: sync (half of them) or one of the 114 coded bits of the payload (the audio
//   mark's rate-1/3, K = 7 convolutional code).
// - Embedding: the units of the frame's slot (sign, negated on data units whose coded bit is 1)
//   interpolated bilinearly to the frame size (a smooth pattern without block edges), times
//   5 grey levels, times the region's mask feathered inward (zero outside the region,
//   whose pixels stay untouched), added to B, G and R alike: luma changes, chroma does not.
// - Detection: per frame, luma averaged per cell minus its local mean (a Gaussian of 1.5 cells
//   over the grid); summed per (second, slot, cell); each cell's mean over the second's slots
//   subtracted, so static content cancels; each cell weighted by the inverse of its variance over
//   the slots (from the content alone). The region's place is unknown to the detector, so
//   windows of two sizes are tried across the grid (141 at 16:9); in a window,
//   z = S / sqrt(sum (w x)^2) with S = sum over sync units of sign * w * x. Under the null (video not marked with this key) the
//   signs are independent fair coins whatever the content, so P(z >= t) <= exp(-t^2 / 2)
//   (Hoeffding); a second's false-positive probability is that bound times the windows tried.
//
// Thread safety: VideoMarker and VideoMarkDetector are not thread-safe (one per thread); the
// free functions are reentrant.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "provenance/watermark.hpp"

namespace dubkit {

struct VideoMarkUnits;  // the key's units for one grid (video_watermark.cpp)

// Marks the frames of one output as they are made: second k carries
// watermark_payload(key, consent id, output id, k), the payload of the audio mark's block k.
class VideoMarker {
 public:
  VideoMarker(const WatermarkKey& key, std::string consent_id, std::string output_id);
  // Adds the mark of second floor(pts) to `bgr` (CV_8UC3) inside `region` (CV_8UC1, frame size,
  // non-zero = re-rendered). Frames must come in order of pts. Throws InvalidArgument for a
  // bad frame, mask or pts.
  void mark(cv::Mat& bgr, const cv::Mat& region, double pts);
  // The payloads of the seconds marked so far (those with a frame in a region), in order.
  const std::vector<std::uint32_t>& payloads() const { return payloads_; }

 private:
  WatermarkKey key_;
  std::string consent_id_, output_id_;
  long last_second_ = -1;
  std::vector<std::uint32_t> payloads_;
  std::shared_ptr<const VideoMarkUnits> units_;
};

// One second of video searched for the mark.
struct VideoMarkSecond {
  long second = 0;                        // floor(pts) of its frames
  long frames = 0;                        // frames seen in it
  bool found = false;
  std::uint32_t payload = 0;              // meaningful when found
  double score = 0;                       // z of the best window
  double false_positive_probability = 1;  // the bound times the windows tried
  cv::Rect window;                        // the best window, in grid cells
};

// Feeds frames in order of pts; every second with frames gets a report. Not thread-safe.
class VideoMarkDetector {
 public:
  explicit VideoMarkDetector(const WatermarkKey& key, double max_false_positive = 1e-6);
  void add(const cv::Mat& bgr, double pts);  // throws InvalidArgument for a bad frame or pts
  std::vector<VideoMarkSecond> finish();     // reports the seconds in order

 private:
  void close_second();
  WatermarkKey key_;
  double max_false_positive_;
  cv::Size grid_;
  std::shared_ptr<const VideoMarkUnits> units_;
  long current_ = -1;
  std::vector<cv::Mat> slots_;       // per slot: summed cell values (CV_64F)
  std::vector<int> slot_frames_;
  long frames_ = 0;
  std::vector<VideoMarkSecond> done_;
};

// Every frame of a video file searched (VideoReader). Throws what the reader throws.
std::vector<VideoMarkSecond> detect_video_watermark(const std::string& path, const WatermarkKey& key,
                                                    double max_false_positive = 1e-6);

}  // namespace dubkit
