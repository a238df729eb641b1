#include "video/transcode.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "core/error.hpp"
#include "video/video_reader.hpp"
#include "video/video_writer.hpp"

namespace dubkit {

void TranscodeOptions::validate() const {
  if (height < 0 || height % 2) throw InvalidArgument("transcode: height must be 0 or a positive even number, got " + std::to_string(height));
  if (bit_rate < 0) throw InvalidArgument("transcode: bit rate must be >= 0, got " + std::to_string(bit_rate));
  if (crf < 0 || crf > 51) throw InvalidArgument("transcode: crf must be in [0, 51], got " + std::to_string(crf));
}

void transcode_video(const std::string& in, const std::string& out, const TranscodeOptions& o) {
  o.validate();
  VideoReader reader(in);
  const VideoInfo& info = reader.info();
  cv::Size size(info.width, info.height);
  if (o.height > 0) {
    const int width = 2 * static_cast<int>(std::lround(double(info.width) * o.height / info.height / 2));
    size = cv::Size(std::max(2, width), o.height);
  }
  VideoWriterOptions w;
  w.crf = o.crf;
  w.video_bitrate = o.bit_rate;
  w.time_base_num = info.time_base_num;
  w.time_base_den = info.time_base_den;
  if (info.fps > 0) w.fps = info.fps;
  VideoWriter writer(out, size.width, size.height, Waveform{}, w, {in});
  VideoFrame frame;
  cv::Mat scaled;
  while (reader.read(frame)) {
    // Area averaging when shrinking (as FFmpeg's scalers low-pass), bicubic when growing.
    if (size != frame.bgr.size())
      cv::resize(frame.bgr, scaled, size, 0, 0, size.area() < frame.bgr.size().area() ? cv::INTER_AREA : cv::INTER_CUBIC);
    writer.write(size != frame.bgr.size() ? scaled : frame.bgr, frame.pts, frame.duration);
  }
  writer.finish();
}

}  // namespace dubkit
