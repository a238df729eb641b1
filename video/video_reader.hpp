// Streaming video decode through the FFmpeg libraries: any container and codec the installed
// FFmpeg reads, one frame at a time (the reader holds O(1) frames whatever the file's length),
// with the timestamps of the file, variable frame rate included. Also the file's audio track
// on the same timeline.
//
// The timeline: 0 s is the presentation time of the first video frame, after the container's
// stream start times and edit lists have been applied (as FFmpeg's demuxers apply them). An
// audio track that starts 160 ms after the first frame reads as 160 ms of silence, one that
// starts before it is trimmed.
//
// Frames are delivered as stored: sample aspect ratio and display rotation are not applied.
// Chroma is converted by swscale's fast path (4:2:0 chroma not interpolated): at 720p it
// decodes 4x faster than the interpolating path, and costs ~1 dB on luma-neutral content
// but up to ~5 dB BGR PSNR at hard colour edges.
// FFmpeg's logging is silenced process-wide on first use (the library never prints).
#pragma once

#include <map>
#include <memory>
#include <string>

#include <opencv2/core.hpp>

#include "audio/waveform.hpp"

namespace dubkit {

struct VideoInfo {
  int width = 0, height = 0;                 // pixels of the delivered frames
  double fps = 0;                            // average frame rate (frames/s) as the container states it
  double duration = 0;                       // seconds, the video stream's or else the container's
  long frame_count = 0;                      // the container's count, else round(duration * fps), 0 if unknown
  int time_base_num = 1, time_base_den = 1;  // the video stream's time base: pts are multiples of it
  bool has_audio = false;
  int audio_rate = 0;                        // Hz of the best audio track (0 without one)
  int audio_channels = 0;
  std::map<std::string, std::string> metadata;  // container-level tags
  std::string video_codec;                   // FFmpeg's codec name, e.g. "h264"
  long video_bit_rate = 0;                   // bits/s of the video stream as the container states it (0 = unknown)
};

struct VideoFrame {
  // CV_8UC3, height x width of VideoInfo. read() writes into the existing buffer when it has
  // that size and type and no other cv::Mat shares it; otherwise it allocates a new one. So a
  // caller may keep frames (cv::Mat copies share) without clone(): a buffer still referenced
  // elsewhere is never overwritten.
  cv::Mat bgr;
  double pts = 0;       // seconds on the file timeline (0 = first video frame), strictly increasing
  double duration = 0;  // seconds until the next frame; last frame: until the stream's stated end,
                        // else its packet's duration, else the previous interval, else 1 / fps
  long index = 0;       // 0-based position in presentation order
};

// Not thread-safe (one reader per thread); move-only, owns its FFmpeg contexts.
class VideoReader {
 public:
  // `threads` decoder threads (frame and slice threading; 0 = one per core).
  // Throws IoError when the file cannot be opened, FormatError when it is not a media file
  // FFmpeg can parse or has no video stream. Both name the file.
  explicit VideoReader(const std::string& path, int threads = 0);
  ~VideoReader();
  VideoReader(VideoReader&&) noexcept;
  VideoReader& operator=(VideoReader&&) noexcept;

  const VideoInfo& info() const;
  // The next frame in presentation order into `frame`; false at the end. A demuxing error
  // throws FormatError naming the file; packets the decoder rejects as damaged are skipped
  // (the pts of the frames around them keep the timeline right) and counted.
  bool read(VideoFrame& frame);
  long damaged_packets() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The file's best audio track, mixed to mono by averaging the channels, at `rate` Hz (soxr),
// on the video timeline above: sample 0 is the presentation time of the first video frame.
// Gaps and overlaps in the audio timestamps longer than 5 ms become silence or are dropped;
// shorter jitter (Matroska rounds to 1 ms) is ignored. Decodes as it streams: memory is the
// output plus a few packets. Throws InvalidArgument for rate <= 0, IoError / FormatError as
// VideoReader, and FormatError naming the file when it has no audio track.
Waveform read_audio_track(const std::string& path, int rate);

// Any file FFmpeg decodes (an audio file of any codec FFmpeg has: WAV, Vorbis, raw G.722, ...,
// or a video's sound), its best audio track mixed to mono as above, at `rate` Hz, on its own
// timeline: sample 0 is its first audio sample. `rate` 0 keeps the file's own rate. Throws as
// read_audio_track.
Waveform read_audio_file(const std::string& path, int rate);

}  // namespace dubkit
