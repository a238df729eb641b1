#include "video/video_reader.hpp"

#include <array>
#include <cmath>
#include <utility>

#include "core/error.hpp"
#include "video/ffmpeg.hpp"

namespace dubkit {

namespace {

VideoInfo describe(AVFormatContext* fmt, int v, const AVCodecContext* dec) {
  const AVStream* st = fmt->streams[v];
  VideoInfo info;
  info.width = dec->width;
  info.height = dec->height;
  const AVRational rate = st->avg_frame_rate.num > 0 && st->avg_frame_rate.den > 0 ? st->avg_frame_rate
                                                                                   : st->r_frame_rate;
  info.fps = rate.num > 0 && rate.den > 0 ? av_q2d(rate) : 0.0;
  if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
    info.duration = st->duration * av_q2d(st->time_base);
  else if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0)
    info.duration = static_cast<double>(fmt->duration) / AV_TIME_BASE;
  info.frame_count = st->nb_frames > 0 ? static_cast<long>(st->nb_frames) : std::lround(info.duration * info.fps);
  info.time_base_num = st->time_base.num;
  info.time_base_den = st->time_base.den;
  const int a = av_find_best_stream(fmt, AVMEDIA_TYPE_AUDIO, -1, v, nullptr, 0);
  if (a >= 0) {
    info.has_audio = true;
    info.audio_rate = fmt->streams[a]->codecpar->sample_rate;
    info.audio_channels = fmt->streams[a]->codecpar->ch_layout.nb_channels;
  }
  const AVDictionaryEntry* tag = nullptr;
  while ((tag = av_dict_get(fmt->metadata, "", tag, AV_DICT_IGNORE_SUFFIX))) info.metadata[tag->key] = tag->value;
  info.video_codec = avcodec_get_name(st->codecpar->codec_id);
  info.video_bit_rate = st->codecpar->bit_rate > 0 ? static_cast<long>(st->codecpar->bit_rate) : 0;
  return info;
}

// Pulls decoded frames of one stream out of a demuxer in presentation order. Damaged packets
// are skipped and counted; demuxing errors throw.
class StreamDecoder {
 public:
  StreamDecoder(AVFormatContext* fmt, int stream, int threads, const std::string& path)
      : fmt_(fmt), stream_(stream), dec_(ff::open_decoder(fmt, stream, threads, path)), path_(path) {}

  AVCodecContext* codec() const { return dec_.get(); }
  long damaged() const { return damaged_; }

  // Feeds one demuxed packet of this stream (nullptr: the end); a damaged one is counted.
  void send(const AVPacket* pkt) {
    const int rc = avcodec_send_packet(dec_.get(), pkt);
    if (rc == AVERROR_INVALIDDATA)
      ++damaged_;
    else if (rc < 0 && rc != AVERROR_EOF)
      throw FormatError("'" + path_ + "': decoding failed: " + ff::error_text(rc));
  }

  // The next decoded frame, if the decoder has one ready.
  bool receive(AVFrame* out) {
    for (;;) {
      const int rc = avcodec_receive_frame(dec_.get(), out);
      if (rc >= 0) return true;
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return false;
      if (rc != AVERROR_INVALIDDATA) throw FormatError("'" + path_ + "': decoding failed: " + ff::error_text(rc));
      ++damaged_;
    }
  }

  // The next frame of this stream, reading the file as needed; false at its end. Packets of
  // other streams are dropped (their streams should be discarded).
  bool next(AVFrame* out, AVPacket* pkt) {
    while (!receive(out)) {
      if (drained_) return false;
      const int rc = av_read_frame(fmt_, pkt);
      if (rc == AVERROR_EOF) {
        send(nullptr);
        drained_ = true;
        continue;
      }
      if (rc < 0) throw FormatError("'" + path_ + "': reading failed: " + ff::error_text(rc));
      if (pkt->stream_index == stream_) send(pkt);
      av_packet_unref(pkt);
    }
    return true;
  }

 private:
  AVFormatContext* fmt_;
  int stream_;
  ff::Codec dec_;
  std::string path_;
  long damaged_ = 0;
  bool drained_ = false;
};

}  // namespace

struct VideoReader::Impl {
  std::string path;
  ff::Input fmt;
  int stream;
  StreamDecoder decoder;
  VideoInfo info;
  AVRational time_base;
  ff::Packet packet = ff::make_packet();
  // One frame of look-ahead: a frame's duration is the distance to the next one.
  ff::Frame current = ff::make_frame(), ahead = ff::make_frame();
  long long current_ts = 0;
  bool has_current = false, started = false;
  long long origin = 0, last_ts = 0, last_step = 0;
  long index = 0;
  ff::Sws sws;
  std::array<int, 5> sws_key{};  // what sws was made for: size, format, colour matrix, full range

  Impl(const std::string& p, int threads)
      : path(p), fmt(ff::open_input(p)), stream(ff::video_stream(fmt.get(), p)),
        decoder(fmt.get(), stream, threads, p), info(describe(fmt.get(), stream, decoder.codec())),
        time_base(fmt->streams[stream]->time_base) {
    for (unsigned i = 0; i < fmt->nb_streams; ++i)
      if (static_cast<int>(i) != stream) fmt->streams[i]->discard = AVDISCARD_ALL;
    if (info.width <= 0 || info.height <= 0) throw FormatError("'" + path + "': video stream without a frame size");
  }

  // Decoded frames can lack a timestamp or repeat one (broken muxers); the timeline must
  // still advance, by the frame's own duration or else the last step.
  long long timestamp(const AVFrame* f) {
    long long ts = f->best_effort_timestamp;
    const long long step = f->pkt_duration > 0 ? f->pkt_duration : std::max(last_step, 1LL);
    if (!started) {
      if (ts == AV_NOPTS_VALUE) ts = 0;
      origin = ts;
      started = true;
    } else if (ts == AV_NOPTS_VALUE || ts <= last_ts) {
      ts = last_ts + step;
    } else {
      last_step = ts - last_ts;
    }
    last_ts = ts;
    return ts;
  }

  // The last frame has no successor: it lasts until the stream's end when the container
  // states one (MP4 edit lists do), else its packet's duration, the previous step, 1 / fps.
  double last_duration(long long ts, const AVFrame* f) const {
    const AVStream* st = fmt->streams[stream];
    const long long start = st->start_time != AV_NOPTS_VALUE ? st->start_time : origin;
    if (st->duration != AV_NOPTS_VALUE && start + st->duration > ts) return (start + st->duration - ts) * av_q2d(time_base);
    if (f->pkt_duration > 0) return f->pkt_duration * av_q2d(time_base);
    if (last_step > 0) return last_step * av_q2d(time_base);
    return info.fps > 0 ? 1.0 / info.fps : 0.0;
  }

  void to_bgr(const AVFrame* f, cv::Mat& bgr) {
    if (bgr.rows != info.height || bgr.cols != info.width || bgr.type() != CV_8UC3 || !bgr.u ||
        bgr.u->refcount != 1)
      bgr = cv::Mat(info.height, info.width, CV_8UC3);
    // The file's colour matrix and range, so BT.709 and full-range sources keep their colours.
    const int space = f->colorspace == AVCOL_SPC_UNSPECIFIED ? SWS_CS_DEFAULT : f->colorspace;
    const std::array<int, 5> key = {f->width, f->height, f->format, space, f->color_range == AVCOL_RANGE_JPEG};
    if (!sws || key != sws_key) {
      // A mid-stream size change is scaled back to the announced size: downstream sees one size.
      sws.reset(sws_getContext(f->width, f->height, static_cast<AVPixelFormat>(f->format), info.width, info.height,
                               AV_PIX_FMT_BGR24, SWS_BILINEAR, nullptr, nullptr, nullptr));
      if (!sws)
        throw FormatError("'" + path + "': cannot convert its " +
                          std::string(av_get_pix_fmt_name(static_cast<AVPixelFormat>(f->format))) + " frames");
      int *inv_table, *table, src_range, dst_range, brightness, contrast, saturation;
      if (sws_getColorspaceDetails(sws.get(), &inv_table, &src_range, &table, &dst_range, &brightness, &contrast,
                                   &saturation) >= 0)
        sws_setColorspaceDetails(sws.get(), sws_getCoefficients(space), key[4] || src_range, table, dst_range,
                                 brightness, contrast, saturation);
      sws_key = key;
    }
    uint8_t* dst[4] = {bgr.data, nullptr, nullptr, nullptr};
    int dst_stride[4] = {static_cast<int>(bgr.step[0]), 0, 0, 0};
    sws_scale(sws.get(), f->data, f->linesize, 0, f->height, dst, dst_stride);
  }

  bool read(VideoFrame& out) {
    if (!has_current) {
      if (index > 0 || !decoder.next(current.get(), packet.get())) return false;
      current_ts = timestamp(current.get());
    }
    const bool more = decoder.next(ahead.get(), packet.get());
    const long long ahead_ts = more ? timestamp(ahead.get()) : 0;
    to_bgr(current.get(), out.bgr);
    out.pts = (current_ts - origin) * av_q2d(time_base);
    out.duration = more ? (ahead_ts - current_ts) * av_q2d(time_base) : last_duration(current_ts, current.get());
    out.index = index++;
    av_frame_unref(current.get());
    std::swap(current, ahead);
    current_ts = ahead_ts;
    has_current = more;
    return true;
  }
};

VideoReader::VideoReader(const std::string& path, int threads) : impl_(std::make_unique<Impl>(path, threads)) {}
VideoReader::~VideoReader() = default;
VideoReader::VideoReader(VideoReader&&) noexcept = default;
VideoReader& VideoReader::operator=(VideoReader&&) noexcept = default;
const VideoInfo& VideoReader::info() const { return impl_->info; }
bool VideoReader::read(VideoFrame& frame) { return impl_->read(frame); }
long VideoReader::damaged_packets() const { return impl_->decoder.damaged(); }

}  // namespace dubkit
