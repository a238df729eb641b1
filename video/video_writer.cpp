#include "video/video_writer.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <exception>
#include <set>

#include "audio/resample.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "video/ffmpeg.hpp"


namespace dubkit {

namespace {

struct OutputDeleter {
  void operator()(AVFormatContext* c) const {
    if (c->pb) avio_closep(&c->pb);
    avformat_free_context(c);
  }
};
using Output = std::unique_ptr<AVFormatContext, OutputDeleter>;

// The muxer writes these itself; copied from a source file they would be duplicated or wrong.
const std::set<std::string> kMuxerTags = {"major_brand", "minor_version", "compatible_brands", "encoder"};

// x264's presets, checked here because x264 prints to stderr when it meets another name.
const std::set<std::string> kPresets = {"ultrafast", "superfast", "veryfast", "faster", "fast",
                                        "medium",    "slow",      "slower",   "veryslow", "placebo"};

// The rate the AAC encoder gets: the audio's own when AAC has it, else 48 kHz.
int aac_rate(const AVCodec* aac, int rate) {
  for (const int* r = aac->supported_samplerates; r && *r; ++r)
    if (*r == rate) return rate;
  return 48000;
}

}  // namespace

struct VideoWriter::Impl {
  AtomicOutput out;
  VideoWriterOptions opts;
  int width, height;
  AVRational time_base;
  Output fmt;
  ff::Codec video, audio;
  AVStream* video_stream = nullptr;
  AVStream* audio_stream = nullptr;
  ff::Sws sws;
  ff::Packet packet = ff::make_packet();
  ff::Packet held = ff::make_packet();  // the latest picture packet
  bool is_quicktime = false;            // an MP4/MOV family muxer
  // A frame waits here until the next one arrives: its duration is the distance to it, and the
  // muxer needs every packet's duration (the last frame's would otherwise be lost).
  ff::Frame pending = ff::make_frame();
  bool has_pending = false;
  double pending_duration = 0;  // seconds, as passed with the frame
  long long last_ticks = -1, last_interval = 0;
  std::deque<std::pair<long long, long long>> durations;  // (pts, duration) sent, not yet muxed
  std::vector<float> sound;                                // at audio->sample_rate
  std::size_t sound_sent = 0;
  long long sound_offset = 0;  // samples of silence before the audio starts
  ff::Frame sound_frame = ff::make_frame();
  bool finished = false;
  int uncaught = std::uncaught_exceptions();

  Impl(const std::string& path, int w, int h, const Waveform& wave, const VideoWriterOptions& o,
       const std::vector<std::string>& inputs)
      : out(path, inputs), opts(o), width(w), height(h), time_base{o.time_base_num, o.time_base_den} {
    ff::silence_logs();
    if (w <= 0 || h <= 0)
      throw InvalidArgument("video size must be positive, got " + std::to_string(w) + "x" + std::to_string(h));
    if (!kPresets.count(o.preset)) throw InvalidArgument("unknown libx264 preset '" + o.preset + "'");
    if (o.crf < 0 || o.crf > 51) throw InvalidArgument("crf must be in [0, 51], got " + std::to_string(o.crf));
    if (o.video_bitrate < 0) throw InvalidArgument("video bit rate must be >= 0, got " + std::to_string(o.video_bitrate));
    if (!(o.fps > 0 && o.fps <= 1000)) throw InvalidArgument("fps must be in (0, 1000], got " + std::to_string(o.fps));
    if (o.time_base_num <= 0 || o.time_base_den <= 0)
      throw InvalidArgument("time base must be positive, got " + std::to_string(o.time_base_num) + "/" +
                            std::to_string(o.time_base_den));
    if (o.audio_bitrate <= 0) throw InvalidArgument("audio bitrate must be positive");
    if (!(o.audio_start >= 0)) throw InvalidArgument("audio_start must be >= 0 s, got " + std::to_string(o.audio_start));
    if (!wave.samples.empty() && wave.rate <= 0) throw InvalidArgument("audio with a non-positive rate");

    AVFormatContext* raw = nullptr;
    if (avformat_alloc_output_context2(&raw, nullptr, nullptr, out.temp_path().c_str()) < 0 || !raw)
      throw InvalidArgument("cannot tell a container format from the name '" + path + "'");
    fmt.reset(raw);
    const std::string muxer = fmt->oformat->name;
    is_quicktime = muxer.find("mp4") != std::string::npos || muxer.find("mov") != std::string::npos;
    if (avformat_query_codec(fmt->oformat, AV_CODEC_ID_H264, FF_COMPLIANCE_NORMAL) != 1)
      throw InvalidArgument("the container of '" + path + "' cannot hold H.264");
    open_video(path);
    if (!wave.samples.empty()) open_audio(path, wave);

    for (const auto& [key, value] : opts.metadata)
      if (!kMuxerTags.count(key)) av_dict_set(&fmt->metadata, key.c_str(), value.c_str(), 0);
    if (const int rc = avio_open(&fmt->pb, ("file:" + out.temp_path()).c_str(), AVIO_FLAG_WRITE); rc < 0)
      throw IoError("cannot create '" + out.temp_path() + "': " + ff::error_text(rc));
    AVDictionary* mux = nullptr;  // formats without this option leave it unused
    av_dict_set(&mux, "movflags", "use_metadata_tags", 0);
    const int rc = avformat_write_header(fmt.get(), &mux);
    av_dict_free(&mux);
    if (rc < 0) throw IoError("cannot write the header of '" + path + "': " + ff::error_text(rc));
  }

  void add_stream(AVCodecContext* enc, AVStream*& stream) {
    stream = avformat_new_stream(fmt.get(), nullptr);
    if (!stream) throw std::bad_alloc();
    if (avcodec_parameters_from_context(stream->codecpar, enc) < 0) throw std::bad_alloc();
    stream->time_base = enc->time_base;
  }

  void open_video(const std::string& path) {
    const AVCodec* x264 = avcodec_find_encoder_by_name("libx264");
    if (!x264) throw IoError("this FFmpeg has no libx264 encoder");
    video.reset(avcodec_alloc_context3(x264));
    if (!video) throw std::bad_alloc();
    AVCodecContext* v = video.get();
    v->width = width;
    v->height = height;
    v->pix_fmt = width % 2 || height % 2 ? AV_PIX_FMT_YUV444P : AV_PIX_FMT_YUV420P;
    v->time_base = time_base;
    // Without it x264 takes the time base for the frame rate (90000 frames/s), and an average
    // bit rate comes out at a fraction of the one asked for.
    v->framerate = av_d2q(opts.fps, 100000);
    v->color_range = AVCOL_RANGE_MPEG;
    v->colorspace = AVCOL_SPC_BT709;
    v->color_primaries = AVCOL_PRI_BT709;
    v->color_trc = AVCOL_TRC_BT709;
    v->thread_count = opts.threads;
    if (fmt->oformat->flags & AVFMT_GLOBALHEADER) v->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    AVDictionary* options = nullptr;
    av_dict_set(&options, "preset", opts.preset.c_str(), 0);
    if (opts.video_bitrate > 0)
      v->bit_rate = opts.video_bitrate;
    else
      av_dict_set(&options, "crf", std::to_string(opts.crf).c_str(), 0);
    const int rc = avcodec_open2(v, x264, &options);
    av_dict_free(&options);
    if (rc < 0)
      throw InvalidArgument("libx264 refused " + std::to_string(width) + "x" + std::to_string(height) + " for '" +
                            path + "': " + ff::error_text(rc));
    add_stream(v, video_stream);

    const int* coefficients = sws_getCoefficients(SWS_CS_ITU709);
    sws.reset(sws_getContext(width, height, AV_PIX_FMT_BGR24, width, height, v->pix_fmt, SWS_BILINEAR, nullptr,
                             nullptr, nullptr));
    if (!sws) throw std::bad_alloc();
    sws_setColorspaceDetails(sws.get(), coefficients, 1, coefficients, 0, 0, 1 << 16, 1 << 16);
  }

  void open_audio(const std::string& path, const Waveform& wave) {
    const AVCodec* aac = avcodec_find_encoder(AV_CODEC_ID_AAC);
    if (!aac) throw IoError("this FFmpeg has no AAC encoder");
    audio.reset(avcodec_alloc_context3(aac));
    if (!audio) throw std::bad_alloc();
    AVCodecContext* a = audio.get();
    a->sample_fmt = AV_SAMPLE_FMT_FLTP;
    a->sample_rate = aac_rate(aac, wave.rate);
    a->ch_layout = AV_CHANNEL_LAYOUT_MONO;
    a->bit_rate = opts.audio_bitrate;
    a->time_base = {1, a->sample_rate};
    if (fmt->oformat->flags & AVFMT_GLOBALHEADER) a->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (const int rc = avcodec_open2(a, aac, nullptr); rc < 0)
      throw InvalidArgument("the AAC encoder refused " + std::to_string(a->sample_rate) + " Hz at " +
                            std::to_string(opts.audio_bitrate) + " bit/s for '" + path + "': " + ff::error_text(rc));
    add_stream(a, audio_stream);
    sound = a->sample_rate == wave.rate ? wave.samples : resample(wave, a->sample_rate).samples;
    sound_offset = std::llround(opts.audio_start * a->sample_rate);
  }

  void mux(AVPacket* pkt, const AVCodecContext* enc, const AVStream* stream) {
    av_packet_rescale_ts(pkt, enc->time_base, stream->time_base);
    pkt->stream_index = stream->index;
    if (const int rc = av_interleaved_write_frame(fmt.get(), pkt); rc < 0)
      throw IoError("writing '" + out.path() + "' failed: " + ff::error_text(rc));
  }

  // Moves every packet the encoder has ready into the muxer. Picture packets carry their
  // frame's display time; the latest one is held back for finish() (see there).
  void drain(AVCodecContext* enc, AVStream* stream) {
    for (;;) {
      const int rc = avcodec_receive_packet(enc, packet.get());
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
      if (rc < 0) throw IoError("encoding '" + out.path() + "' failed: " + ff::error_text(rc));
      if (enc != video.get()) {
        mux(packet.get(), enc, stream);
        continue;
      }
      const auto it = std::find_if(durations.begin(), durations.end(),
                                   [&](const auto& d) { return d.first == packet->pts; });
      if (it != durations.end()) {
        packet->duration = it->second;
        durations.erase(it);
      }
      if (held->data) mux(held.get(), enc, stream);
      av_packet_move_ref(held.get(), packet.get());
    }
  }

  // MP4/MOV keep no display time per frame: a track ends at its last packet in decode order
  // plus that packet's duration, which with B-frames is not the last frame shown. That
  // packet's duration is set so the track ends when the last frame's display time does.
  void mux_last_picture(long long end_ticks) {
    if (!held->data) return;
    if (is_quicktime) held->duration = std::max(1LL, end_ticks - held->pts);
    mux(held.get(), video.get(), video_stream);
  }

  void send(AVCodecContext* enc, AVStream* stream, const AVFrame* frame) {
    if (const int rc = avcodec_send_frame(enc, frame); rc < 0)
      throw IoError("encoding '" + out.path() + "' failed: " + ff::error_text(rc));
    drain(enc, stream);
  }

  // Encodes the audio that starts before `seconds`, so the muxer interleaves it with the
  // pictures of the same time instead of queueing either.
  void send_audio_until(double seconds) {
    if (!audio || sound_sent > sound.size()) return;
    const int rate = audio->sample_rate;
    while (sound_sent < sound.size() && static_cast<double>(sound_offset + sound_sent) / rate < seconds) {
      const int n = static_cast<int>(std::min<std::size_t>(audio->frame_size, sound.size() - sound_sent));
      av_frame_unref(sound_frame.get());
      sound_frame->format = AV_SAMPLE_FMT_FLTP;
      sound_frame->sample_rate = rate;
      sound_frame->nb_samples = n;
      av_channel_layout_copy(&sound_frame->ch_layout, &audio->ch_layout);
      if (av_frame_get_buffer(sound_frame.get(), 0) < 0) throw std::bad_alloc();
      std::copy_n(sound.data() + sound_sent, n, reinterpret_cast<float*>(sound_frame->data[0]));
      sound_frame->pts = sound_offset + static_cast<long long>(sound_sent);
      sound_sent += static_cast<std::size_t>(n);
      send(audio.get(), audio_stream, sound_frame.get());
    }
    if (sound_sent == sound.size()) {
      send(audio.get(), audio_stream, nullptr);
      sound_sent = sound.size() + 1;  // flushed
    }
  }

  void send_pending(long long duration) {
    pending->pkt_duration = duration;
    durations.emplace_back(pending->pts, duration);
    send(video.get(), video_stream, pending.get());
    has_pending = false;
  }

  long long ticks(double seconds) const {
    return std::llround(seconds * time_base.den / time_base.num);
  }

  void write(const cv::Mat& bgr, double pts, double duration) {
    if (finished) throw InvalidArgument("'" + out.path() + "' is finished; no more frames");
    if (bgr.type() != CV_8UC3 || bgr.cols != width || bgr.rows != height)
      throw InvalidArgument("frame for '" + out.path() + "' must be " + std::to_string(width) + "x" +
                            std::to_string(height) + " CV_8UC3, got " + std::to_string(bgr.cols) + "x" +
                            std::to_string(bgr.rows) + " type " + std::to_string(bgr.type()));
    if (!std::isfinite(pts) || pts < 0 || !(duration >= 0))
      throw InvalidArgument("frame time must be >= 0 s, got pts " + std::to_string(pts) + " duration " +
                            std::to_string(duration));
    const long long t = ticks(pts);
    if (t <= last_ticks)
      throw InvalidArgument("frame pts " + std::to_string(pts) + " s does not follow the previous frame's in the " +
                            std::to_string(time_base.num) + "/" + std::to_string(time_base.den) + " time base");
    if (has_pending) {
      last_interval = t - last_ticks;
      send_pending(last_interval);
    }
    // A fresh buffer: the encoder may still hold a reference to the previous one.
    av_frame_unref(pending.get());
    pending->format = video->pix_fmt;
    pending->width = width;
    pending->height = height;
    if (av_frame_get_buffer(pending.get(), 0) < 0) throw std::bad_alloc();
    const uint8_t* src[4] = {bgr.data, nullptr, nullptr, nullptr};
    const int src_stride[4] = {static_cast<int>(bgr.step[0]), 0, 0, 0};
    sws_scale(sws.get(), src, src_stride, 0, height, pending->data, pending->linesize);
    pending->pts = t;
    pending_duration = duration;
    has_pending = true;
    last_ticks = t;
    send_audio_until(pts);
  }

  void finish() {
    if (finished) return;
    if (last_ticks < 0) throw InvalidArgument("no frames were written to '" + out.path() + "'");
    const long long given = ticks(pending_duration);
    const long long last = std::max(1LL, given > 0 ? given : last_interval > 0 ? last_interval : ticks(1.0 / 25));
    send_pending(last);
    send(video.get(), video_stream, nullptr);
    mux_last_picture(last_ticks + last);
    send_audio_until(INFINITY);
    if (const int rc = av_write_trailer(fmt.get()); rc < 0)
      throw IoError("cannot finish '" + out.path() + "': " + ff::error_text(rc));
    if (const int rc = avio_closep(&fmt->pb); rc < 0)
      throw IoError("cannot close '" + out.path() + "': " + ff::error_text(rc));
    out.commit();
    finished = true;
  }
};

VideoWriter::VideoWriter(const std::string& path, int width, int height, const Waveform& audio,
                         const VideoWriterOptions& opts, const std::vector<std::string>& inputs)
    : impl_(std::make_unique<Impl>(path, width, height, audio, opts, inputs)) {}

VideoWriter::~VideoWriter() { finish_quietly(); }

VideoWriter::VideoWriter(VideoWriter&&) noexcept = default;

VideoWriter& VideoWriter::operator=(VideoWriter&& other) noexcept {
  if (this != &other) {
    finish_quietly();
    impl_ = std::move(other.impl_);
  }
  return *this;
}

void VideoWriter::finish_quietly() noexcept {
  // During an exception's unwinding the job failed: the file is dropped, not completed.
  if (!impl_ || impl_->finished || std::uncaught_exceptions() > impl_->uncaught) return;
  try {
    impl_->finish();
  } catch (...) {
  }
}

void VideoWriter::write(const cv::Mat& bgr, double pts, double duration) { impl_->write(bgr, pts, duration); }
void VideoWriter::finish() { impl_->finish(); }

}  // namespace dubkit
