#include "video/ffmpeg.hpp"

#include <filesystem>
#include <fstream>
#include <mutex>
#include <new>

#include "core/error.hpp"

extern "C" {
#include <libavutil/log.h>
}

namespace dubkit::ff {

Frame make_frame() {
  Frame f(av_frame_alloc());
  if (!f) throw std::bad_alloc();
  return f;
}

Packet make_packet() {
  Packet p(av_packet_alloc());
  if (!p) throw std::bad_alloc();
  return p;
}

std::string error_text(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof text);
  return text;
}

void silence_logs() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_level(AV_LOG_QUIET); });
}

Input open_input(const std::string& path) {
  silence_logs();
  // FFmpeg reports a missing file and a malformed one alike through its probing; asking the
  // OS first gives the caller the right exception class.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec) || !std::ifstream(path, std::ios::binary))
    throw IoError("cannot open video file '" + path + "'");
  AVDictionary* options = nullptr;
  av_dict_set(&options, "protocol_whitelist", "file", 0);
  AVFormatContext* raw = nullptr;
  const int rc = avformat_open_input(&raw, ("file:" + path).c_str(), nullptr, &options);
  av_dict_free(&options);
  if (rc < 0) throw FormatError("'" + path + "' is not a media file FFmpeg can read: " + error_text(rc));
  Input fmt(raw);
  if (const int info = avformat_find_stream_info(raw, nullptr); info < 0)
    throw FormatError("cannot read the streams of '" + path + "': " + error_text(info));
  return fmt;
}

int video_stream(AVFormatContext* fmt, const std::string& path) {
  int best = -1;
  for (unsigned i = 0; i < fmt->nb_streams; ++i) {
    const AVStream* st = fmt->streams[i];
    if (st->codecpar->codec_type != AVMEDIA_TYPE_VIDEO || (st->disposition & AV_DISPOSITION_ATTACHED_PIC))
      continue;
    if (best < 0 || (st->disposition & AV_DISPOSITION_DEFAULT)) best = static_cast<int>(i);
  }
  if (best < 0) throw FormatError("'" + path + "' has no video stream");
  return best;
}

Codec open_decoder(AVFormatContext* fmt, int index, int threads, const std::string& path) {
  const AVStream* st = fmt->streams[index];
  const AVCodec* codec = avcodec_find_decoder(st->codecpar->codec_id);
  if (!codec)
    throw FormatError("'" + path + "': no decoder for its " + avcodec_get_name(st->codecpar->codec_id) +
                      " stream");
  Codec ctx(avcodec_alloc_context3(codec));
  if (!ctx) throw std::bad_alloc();
  if (const int rc = avcodec_parameters_to_context(ctx.get(), st->codecpar); rc < 0)
    throw FormatError("'" + path + "': bad codec parameters: " + error_text(rc));
  ctx->pkt_timebase = st->time_base;
  ctx->thread_count = threads;
  ctx->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
  if (const int rc = avcodec_open2(ctx.get(), codec, nullptr); rc < 0)
    throw FormatError("'" + path + "': cannot open the " + codec->name + " decoder: " + error_text(rc));
  return ctx;
}

}  // namespace dubkit::ff
