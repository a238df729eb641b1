// A video re-encoded as a platform or a user would: optionally scaled, H.264 at a bit rate or a
// constant rate factor, the sound dropped. What the video watermark's robustness suite attacks
// with (provenance/video_watermark_robustness.hpp).
#pragma once

#include <string>

namespace dubkit {

struct TranscodeOptions {
  int height = 0;         // pixels: scale to this height (width keeps the aspect, made even); 0 = keep
  long bit_rate = 0;      // bits/s, x264 average bit rate; 0 = constant rate factor `crf`
  int crf = 23;           // x264's default
  void validate() const;  // throws InvalidArgument naming the field
};

// Decodes `in` (VideoReader) and writes `out` (VideoWriter, same timestamps, no sound). Throws
// InvalidArgument for bad options or when `out` is `in`, what the reader and writer throw.
void transcode_video(const std::string& in, const std::string& out, const TranscodeOptions& o);

}  // namespace dubkit
