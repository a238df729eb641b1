#include "video/subtitles.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>

#include "core/error.hpp"
#include "video/ffmpeg.hpp"

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/mem.h>
}

namespace dubkit {
namespace {

constexpr std::size_t kMaxScriptBytes = 16u << 20;

// The demuxer reads the text through this callback instead of a file: no temporary file, and
// the fuzz target drives the same code.
struct MemoryReader {
  const std::string* text;
  std::size_t pos = 0;
  static int read(void* opaque, std::uint8_t* buf, int size) {
    auto* r = static_cast<MemoryReader*>(opaque);
    const std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(size), r->text->size() - r->pos);
    if (n == 0) return AVERROR_EOF;
    std::memcpy(buf, r->text->data() + r->pos, n);
    r->pos += n;
    return static_cast<int>(n);
  }
};

struct AvioDeleter {
  void operator()(AVIOContext* c) const {
    av_freep(&c->buffer);
    avio_context_free(&c);
  }
};

bool is_webvtt(const std::string& text) {
  std::size_t i = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
  return text.compare(i, 6, "WEBVTT") == 0;
}

}  // namespace

std::vector<SubtitleCue> parse_subtitles(const std::string& text, const std::string& name) {
  ff::silence_logs();
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return {};
  const AVInputFormat* format = av_find_input_format(is_webvtt(text) ? "webvtt" : "srt");
  if (!format) throw FormatError(name + ": this FFmpeg has no " + (is_webvtt(text) ? "WebVTT" : "SubRip") + " demuxer");
  MemoryReader reader{&text};
  constexpr int kBuffer = 4096;
  auto* buffer = static_cast<unsigned char*>(av_malloc(kBuffer));
  if (!buffer) throw std::bad_alloc();
  std::unique_ptr<AVIOContext, AvioDeleter> io(avio_alloc_context(buffer, kBuffer, 0, &reader, &MemoryReader::read, nullptr, nullptr));
  if (!io) {
    av_free(buffer);
    throw std::bad_alloc();
  }
  AVFormatContext* raw = avformat_alloc_context();
  if (!raw) throw std::bad_alloc();
  raw->pb = io.get();
  raw->flags |= AVFMT_FLAG_CUSTOM_IO;
  // On failure avformat_open_input frees the context (not the custom I/O, which `io` owns).
  if (const int rc = avformat_open_input(&raw, "", format, nullptr); rc < 0)
    throw FormatError(name + ": not a subtitle file FFmpeg can read: " + ff::error_text(rc));
  ff::Input fmt(raw);
  std::vector<SubtitleCue> cues;
  ff::Packet pkt = ff::make_packet();
  while (true) {
    const int rc = av_read_frame(fmt.get(), pkt.get());
    if (rc == AVERROR_EOF) break;
    if (rc < 0) throw FormatError(name + ": cannot read the cues: " + ff::error_text(rc));
    const AVStream* st = fmt->streams[pkt->stream_index];
    if (pkt->pts != AV_NOPTS_VALUE) {
      const double tb = av_q2d(st->time_base);
      SubtitleCue c;
      c.start = pkt->pts * tb;
      c.end = pkt->duration > 0 ? (pkt->pts + pkt->duration) * tb : c.start;
      c.text.assign(reinterpret_cast<const char*>(pkt->data), static_cast<std::size_t>(pkt->size));
      while (!c.text.empty() && (c.text.back() == '\n' || c.text.back() == '\r' || c.text.back() == '\0')) c.text.pop_back();
      cues.push_back(std::move(c));
    }
    av_packet_unref(pkt.get());
  }
  if (cues.empty())
    throw FormatError(name + ": no cue found (expected SubRip \"1\\n00:00:01,000 --> 00:00:02,500\\ntext\" or a WebVTT file)");
  std::stable_sort(cues.begin(), cues.end(), [](const SubtitleCue& a, const SubtitleCue& b) { return a.start < b.start; });
  return cues;
}

std::string subtitle_time(double seconds, char decimal) {
  const long ms = std::lround(std::max(0.0, seconds) * 1000);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%02ld:%02ld:%02ld%c%03ld", ms / 3600000, ms / 60000 % 60, ms / 1000 % 60, decimal, ms % 1000);
  return buf;
}

std::vector<SubtitleCue> read_subtitles(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot open script '" + path + "'");
  std::string text;
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxScriptBytes) throw FormatError(path + ": larger than 16 MiB: not a script");
  }
  if (in.bad()) throw IoError("cannot read script '" + path + "'");
  return parse_subtitles(text, path);
}

}  // namespace dubkit
