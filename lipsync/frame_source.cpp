#include "lipsync/frame_source.hpp"

#include <algorithm>
#include <filesystem>

#include <opencv2/imgcodecs.hpp>

#include "core/error.hpp"

namespace fs = std::filesystem;

namespace dubkit {

FrameSource::FrameSource(const std::string& path, double needed_seconds, std::string spill_dir)
    : reader_(path), spill_dir_(std::move(spill_dir)) {
  const VideoInfo& i = reader_.info();
  spill_ = i.duration <= 0 || needed_seconds > i.duration + 0.5 / std::max(1.0, i.fps);
  std::error_code ec;
  if (spill_ && !fs::create_directories(spill_dir_, ec) && ec)
    throw IoError(spill_dir_ + ": cannot make the directory for the ping-pong extension's frames: " + ec.message());
}

FrameSource::~FrameSource() {
  std::error_code ec;
  fs::remove_all(spill_dir_, ec);
}

bool FrameSource::next(cv::Mat& bgr, double& duration) {
  if (!forward_done_) {
    VideoFrame f;
    if (reader_.read(f)) {
      bgr = f.bgr;
      last_ = f.bgr;
      duration = f.duration;
      durations_.push_back(f.duration);
      if (spill_ && !cv::imwrite(spill_path(decoded() - 1), bgr, {cv::IMWRITE_PNG_COMPRESSION, 1}))
        throw IoError(spill_dir_ + ": cannot write a frame for the ping-pong extension");
      return true;
    }
    forward_done_ = true;
    position_ = decoded() - 1;
    return false;
  }
  if (decoded() == 0) return false;
  if (!spill_) {
    // A copy each time: each is composited and encoded on its own.
    bgr = last_.clone();
    duration = durations_.back();
    return true;
  }
  if (decoded() == 1) {
    position_ = 0;
  } else {
    if (position_ + step_ < 0 || position_ + step_ >= decoded()) step_ = -step_;
    position_ += step_;
  }
  bgr = cv::imread(spill_path(position_), cv::IMREAD_COLOR);
  if (bgr.empty()) throw IoError(spill_path(position_) + ": cannot read back a spilled frame");
  duration = durations_[position_];
  return true;
}

std::string FrameSource::spill_path(long i) const { return spill_dir_ + "/" + std::to_string(i) + ".png"; }

}  // namespace dubkit
