// read_audio_track and read_audio_file (declared in video_reader.hpp): the audio track
// decoded, mixed to mono and placed on the video timeline (or its own) by its timestamps.
#include <cmath>
#include <optional>
#include <vector>

#include "audio/resample.hpp"
#include "core/error.hpp"
#include "video/ffmpeg.hpp"
#include "video/video_reader.hpp"

namespace dubkit {

namespace {

// Places timestamped mono chunks at their positions (at the track's own rate), then converts
// the rate as it goes.
class Timeline {
 public:
  Timeline(int in_rate, int out_rate) : in_rate_(in_rate), out_{out_rate, {}} {
    if (in_rate != out_rate) resampler_.emplace(in_rate, out_rate);
  }

  // `start`: seconds after the first video frame; NaN = right after the previous chunk.
  void add(double start, std::vector<float> mono) {
    long long position = std::isnan(start) ? placed_ : std::llround(start * in_rate_);
    // Only the first chunk is placed exactly; after it, small timestamp jitter is not a gap.
    if (any_ && std::llabs(position - placed_) <= in_rate_ * 5 / 1000) position = placed_;
    any_ = true;
    if (position > placed_) emit(std::vector<float>(static_cast<std::size_t>(position - placed_), 0.0f));
    const long long skip = std::min<long long>(placed_ - std::min(position, placed_), mono.size());
    mono.erase(mono.begin(), mono.begin() + skip);
    emit(std::move(mono));
  }

  Waveform finish() {
    if (resampler_) append(resampler_->finish());
    return std::move(out_);
  }

 private:
  void emit(std::vector<float> samples) {
    placed_ += static_cast<long long>(samples.size());
    append(resampler_ ? resampler_->process(samples) : std::move(samples));
  }
  void append(const std::vector<float>& s) { out_.samples.insert(out_.samples.end(), s.begin(), s.end()); }

  int in_rate_;
  Waveform out_;
  std::optional<StreamResampler> resampler_;
  long long placed_ = 0;  // samples at in_rate_ placed so far, from time 0
  bool any_ = false;
};

// Decoded audio frames of any sample format and layout to mono float by channel averaging.
class MonoMixer {
 public:
  explicit MonoMixer(const std::string& path) : path_(path) {}

  std::vector<float> mix(const AVFrame* f) {
    configure(f);
    std::vector<float> mono(static_cast<std::size_t>(f->nb_samples));
    uint8_t* out[1] = {reinterpret_cast<uint8_t*>(mono.data())};
    const int n = swr_convert(swr_.get(), out, f->nb_samples, const_cast<const uint8_t**>(f->extended_data),
                              f->nb_samples);
    if (n < 0) throw FormatError("'" + path_ + "': cannot convert its audio: " + ff::error_text(n));
    mono.resize(static_cast<std::size_t>(n));
    return mono;
  }

 private:
  void configure(const AVFrame* f) {
    if (swr_ && f->format == format_ && f->sample_rate == rate_ && f->ch_layout.nb_channels == channels_) return;
    format_ = f->format;
    rate_ = f->sample_rate;
    channels_ = f->ch_layout.nb_channels;
    if (channels_ <= 0) throw FormatError("'" + path_ + "': audio frames without channels");
    AVChannelLayout in{};
    if (f->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC)
      av_channel_layout_default(&in, channels_);
    else
      av_channel_layout_copy(&in, &f->ch_layout);
    AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
    SwrContext* raw = nullptr;
    int rc = swr_alloc_set_opts2(&raw, &mono, AV_SAMPLE_FMT_FLT, rate_, &in, static_cast<AVSampleFormat>(format_),
                                 rate_, 0, nullptr);
    av_channel_layout_uninit(&in);
    swr_.reset(raw);
    // swr's own downmix weights centre and surround channels; the contract is a plain average.
    const std::vector<double> weights(static_cast<std::size_t>(channels_), 1.0 / channels_);
    if (rc >= 0) rc = swr_set_matrix(swr_.get(), weights.data(), channels_);
    if (rc >= 0) rc = swr_init(swr_.get());
    if (rc < 0) throw FormatError("'" + path_ + "': cannot convert its audio: " + ff::error_text(rc));
  }

  std::string path_;
  ff::Swr swr_;
  int format_ = -1, rate_ = 0, channels_ = 0;
};

// `on_video_timeline`: sample 0 is the first picture's time; otherwise the first audio sample's.
Waveform decode_audio(const std::string& path, int rate, bool on_video_timeline) {
  if (rate < 0 || (rate == 0 && on_video_timeline))
    throw InvalidArgument("audio rate must be positive, got " + std::to_string(rate));
  ff::Input fmt = ff::open_input(path);
  const int v = on_video_timeline ? ff::video_stream(fmt.get(), path) : -1;
  const int a = av_find_best_stream(fmt.get(), AVMEDIA_TYPE_AUDIO, -1, v, nullptr, 0);
  if (a < 0) throw FormatError("'" + path + "' has no audio track");
  for (unsigned i = 0; i < fmt->nb_streams; ++i)
    if (static_cast<int>(i) != v && static_cast<int>(i) != a) fmt->streams[i]->discard = AVDISCARD_ALL;
  // One thread: only the first picture's timestamp is wanted, without frame-thread delay.
  ff::Codec video = v >= 0 ? ff::open_decoder(fmt.get(), v, 1, path) : ff::Codec();
  ff::Codec audio = ff::open_decoder(fmt.get(), a, 0, path);
  const double audio_tb = av_q2d(fmt->streams[a]->time_base);
  const int in_rate = audio->sample_rate;
  if (in_rate <= 0) throw FormatError("'" + path + "': audio track without a sample rate");

  MonoMixer mixer(path);
  Timeline timeline(in_rate, rate > 0 ? rate : in_rate);
  // Audio decoded before the first picture's time is known waits here (a few packets).
  std::vector<std::pair<double, std::vector<float>>> early;
  std::optional<double> origin;
  ff::Packet pkt = ff::make_packet();
  ff::Frame frame = ff::make_frame();

  auto take_audio = [&] {
    for (;;) {
      const int rc = avcodec_receive_frame(audio.get(), frame.get());
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
      if (rc == AVERROR_INVALIDDATA) continue;
      if (rc < 0) throw FormatError("'" + path + "': audio decoding failed: " + ff::error_text(rc));
      const long long ts = frame->best_effort_timestamp;
      const double start = ts == AV_NOPTS_VALUE ? NAN : ts * audio_tb;
      std::vector<float> mono = mixer.mix(frame.get());
      if (mono.empty()) continue;
      if (!origin && v < 0) origin = std::isnan(start) ? 0.0 : start;
      if (origin)
        timeline.add(start - *origin, std::move(mono));
      else
        early.emplace_back(start, std::move(mono));
    }
  };
  auto take_video = [&] {
    if (avcodec_receive_frame(video.get(), frame.get()) < 0) return;
    const long long ts = frame->best_effort_timestamp;
    origin = ts == AV_NOPTS_VALUE ? 0.0 : ts * av_q2d(fmt->streams[v]->time_base);
    av_frame_unref(frame.get());
    fmt->streams[v]->discard = AVDISCARD_ALL;
    for (auto& [start, mono] : early) timeline.add(start - *origin, std::move(mono));
    early.clear();
  };
  auto send = [&](AVCodecContext* dec, const AVPacket* p) {
    const int rc = avcodec_send_packet(dec, p);
    if (rc < 0 && rc != AVERROR_INVALIDDATA && rc != AVERROR_EOF)
      throw FormatError("'" + path + "': decoding failed: " + ff::error_text(rc));
  };

  for (;;) {
    const int rc = av_read_frame(fmt.get(), pkt.get());
    if (rc == AVERROR_EOF) break;
    if (rc < 0) throw FormatError("'" + path + "': reading failed: " + ff::error_text(rc));
    if (pkt->stream_index == v && !origin) {
      send(video.get(), pkt.get());
      take_video();
    } else if (pkt->stream_index == a) {
      send(audio.get(), pkt.get());
      take_audio();
    }
    av_packet_unref(pkt.get());
  }
  if (!origin && v >= 0) {
    send(video.get(), nullptr);
    take_video();
    if (!origin) throw FormatError("'" + path + "': no decodable video frame");
  }
  send(audio.get(), nullptr);
  take_audio();
  return timeline.finish();
}

}  // namespace

Waveform read_audio_track(const std::string& path, int rate) { return decode_audio(path, rate, true); }

Waveform read_audio_file(const std::string& path, int rate) { return decode_audio(path, rate, false); }

}  // namespace dubkit
