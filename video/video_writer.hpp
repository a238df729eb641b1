// Streaming video encode through the FFmpeg libraries: H.264 (libx264) pictures and AAC sound
// muxed into the container the file name asks for (.mp4 in practice; .mov and .mkv work too).
// The output appears whole or not at all (core/atomic_file.hpp).
//
// Pixels: 8-bit BGR in, BT.709 (limited range) YUV out, tagged as such. Even sizes are coded
// 4:2:0, which every player decodes. H.264 cannot code an odd width or height in 4:2:0 (its
// cropping works in 2-pixel steps there), so odd sizes are coded 4:4:4 (High 4:4:4 profile):
// the file keeps its exact size and FFmpeg-based players decode it, some hardware decoders do
// not.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "audio/waveform.hpp"

namespace dubkit {

struct VideoWriterOptions {
  int crf = 18;                                  // libx264 constant rate factor, 0 (lossless) .. 51
  long video_bitrate = 0;                        // bits/s: > 0 = average bit rate (x264 ABR) instead of crf
  double fps = 25;                               // the frame rate x264's rate control plans for (frames/s)
  std::string preset = "veryfast";               // libx264 speed preset, "ultrafast" .. "placebo"
  int threads = 0;                               // encoder threads, 0 = libx264's choice for the cores
  int audio_bitrate = 128000;                    // AAC, bits/s
  int time_base_num = 1, time_base_den = 90000;  // pts resolution; the source's keeps its timing exactly
  double audio_start = 0;                        // seconds after the first frame where the audio begins, >= 0
  // Container tags to write. MP4/MOV files store them as QuickTime metadata keys, so any key
  // survives (iTunes-style tags would keep only a fixed list); tags the muxer sets itself
  // (major_brand, minor_version, compatible_brands, encoder) are left to it.
  std::map<std::string, std::string> metadata;
};

// Not thread-safe; move-only, owns its FFmpeg contexts.
class VideoWriter {
 public:
  // `audio` (empty: no audio stream) is muxed from `opts.audio_start` on the video timeline,
  // whole, at its rate when AAC has that rate, else resampled to 48 kHz. Throws
  // InvalidArgument for a bad size, option or path (also when `path` is one of `inputs`),
  // IoError when the file cannot be created.
  VideoWriter(const std::string& path, int width, int height, const Waveform& audio,
              const VideoWriterOptions& opts = {}, const std::vector<std::string>& inputs = {});
  // Finishes when the writer goes out of scope normally (errors swallowed: call finish() to
  // see them); when it is destroyed by an exception's unwinding, the partial file is deleted.
  ~VideoWriter();
  VideoWriter(VideoWriter&&) noexcept;
  VideoWriter& operator=(VideoWriter&&) noexcept;

  // `bgr`: CV_8UC3, height x width. `pts` seconds, strictly increasing after rounding to the
  // time base. `duration` seconds is the frame's display time when it is the last one (a
  // frame's duration is otherwise the distance to the next); 0 = the previous interval, or
  // 1/25 s for a single frame. Throws InvalidArgument, IoError (encoder or disk).
  void write(const cv::Mat& bgr, double pts, double duration = 0);
  // Flushes the encoders, writes the trailer and renames the file into place. Throws IoError.
  // Idempotent; write() after it throws InvalidArgument.
  void finish();

 private:
  void finish_quietly() noexcept;  // what the destructor does
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dubkit
