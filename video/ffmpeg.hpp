// Owning wrappers for the FFmpeg handles used by video/, and the error mapping the reader and
// writer share. Internal to video/: nothing outside this folder includes FFmpeg headers.
#pragma once

#include <memory>
#include <string>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/pixdesc.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

namespace dubkit::ff {

struct InputDeleter {
  void operator()(AVFormatContext* c) const { avformat_close_input(&c); }
};
struct CodecDeleter {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct FrameDeleter {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct PacketDeleter {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct SwsDeleter {
  void operator()(SwsContext* s) const { sws_freeContext(s); }
};
struct SwrDeleter {
  void operator()(SwrContext* s) const { swr_free(&s); }
};

using Input = std::unique_ptr<AVFormatContext, InputDeleter>;
using Codec = std::unique_ptr<AVCodecContext, CodecDeleter>;
using Frame = std::unique_ptr<AVFrame, FrameDeleter>;
using Packet = std::unique_ptr<AVPacket, PacketDeleter>;
using Sws = std::unique_ptr<SwsContext, SwsDeleter>;
using Swr = std::unique_ptr<SwrContext, SwrDeleter>;

Frame make_frame();    // throws std::bad_alloc
Packet make_packet();  // throws std::bad_alloc

// FFmpeg's text for an AVERROR code.
std::string error_text(int code);

// FFmpeg logs to stderr by default; the library never prints, so the first reader or writer
// silences it for the whole process.
void silence_logs();

// Local files only ("file:" protocol, whatever the name looks like), streams probed.
// Throws IoError when the file cannot be opened, FormatError when FFmpeg cannot parse it.
Input open_input(const std::string& path);

// The stream used as the picture: the best video stream that is not cover art.
// Throws FormatError naming `path` when there is none.
int video_stream(AVFormatContext* fmt, const std::string& path);

// An opened decoder for stream `index`; `threads` 0 lets FFmpeg choose (one per core), with
// frame and slice threading. Throws FormatError naming `path`.
Codec open_decoder(AVFormatContext* fmt, int index, int threads, const std::string& path);

}  // namespace dubkit::ff
