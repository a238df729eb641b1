// lossy_round_trip: encode with an FFmpeg encoder, decode the packets straight back.
#include "video/audio_codec.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "video/ffmpeg.hpp"

namespace dubkit {

namespace {

ff::Codec open_encoder(LossyCodec which, int rate, int bit_rate) {
  const char* name = which == LossyCodec::Mp3 ? "libmp3lame" : "aac";
  const AVCodec* codec = avcodec_find_encoder_by_name(name);
  if (!codec) throw Error(std::string("FFmpeg has no '") + name + "' encoder");
  ff::Codec ctx(avcodec_alloc_context3(codec));
  if (!ctx) throw std::bad_alloc();
  ctx->sample_rate = rate;
  ctx->bit_rate = bit_rate;
  ctx->sample_fmt = AV_SAMPLE_FMT_FLTP;  // both encoders take planar float
  AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
  av_channel_layout_copy(&ctx->ch_layout, &mono);
  ctx->time_base = AVRational{1, rate};
  const int rc = avcodec_open2(ctx.get(), codec, nullptr);
  if (rc < 0) throw Error(std::string("cannot open the '") + name + "' encoder at " + std::to_string(rate) +
                          " Hz: " + ff::error_text(rc));
  return ctx;
}

ff::Codec open_decoder_for(const AVCodecContext* enc) {
  const AVCodec* codec = avcodec_find_decoder(enc->codec_id);
  if (!codec) throw Error("FFmpeg has no decoder for the encoder's output");
  ff::Codec ctx(avcodec_alloc_context3(codec));
  if (!ctx) throw std::bad_alloc();
  ctx->sample_rate = enc->sample_rate;
  av_channel_layout_copy(&ctx->ch_layout, &enc->ch_layout);
  if (enc->extradata_size > 0) {  // AAC's AudioSpecificConfig: the decoder needs it without a container
    ctx->extradata = static_cast<uint8_t*>(av_mallocz(enc->extradata_size + AV_INPUT_BUFFER_PADDING_SIZE));
    if (!ctx->extradata) throw std::bad_alloc();
    std::memcpy(ctx->extradata, enc->extradata, enc->extradata_size);
    ctx->extradata_size = enc->extradata_size;
  }
  const int rc = avcodec_open2(ctx.get(), codec, nullptr);
  if (rc < 0) throw Error("cannot open the decoder: " + ff::error_text(rc));
  return ctx;
}

// Channel 0 of a decoded frame as float.
void append_channel0(const AVFrame* f, std::vector<float>& out) {
  const int n = f->nb_samples;
  const uint8_t* d = f->extended_data[0];
  switch (static_cast<AVSampleFormat>(f->format)) {
    case AV_SAMPLE_FMT_FLTP:
    case AV_SAMPLE_FMT_FLT: {
      const int step = f->format == AV_SAMPLE_FMT_FLT ? f->ch_layout.nb_channels : 1;
      const float* p = reinterpret_cast<const float*>(d);
      for (int i = 0; i < n; ++i) out.push_back(p[i * step]);
      return;
    }
    case AV_SAMPLE_FMT_S16P:
    case AV_SAMPLE_FMT_S16: {
      const int step = f->format == AV_SAMPLE_FMT_S16 ? f->ch_layout.nb_channels : 1;
      const int16_t* p = reinterpret_cast<const int16_t*>(d);
      for (int i = 0; i < n; ++i) out.push_back(p[i * step] / 32768.0f);
      return;
    }
    default:
      throw Error("unexpected decoded sample format " + std::to_string(f->format));
  }
}

// Decodes every packet the encoder has ready into `out`.
void drain(AVCodecContext* enc, AVCodecContext* dec, AVPacket* pkt, AVFrame* frame, std::vector<float>& out) {
  for (;;) {
    int rc = avcodec_receive_packet(enc, pkt);
    if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
    if (rc < 0) throw Error("encoding failed: " + ff::error_text(rc));
    rc = avcodec_send_packet(dec, pkt);
    av_packet_unref(pkt);
    if (rc < 0 && rc != AVERROR_INVALIDDATA) throw Error("decoding failed: " + ff::error_text(rc));
    while (avcodec_receive_frame(dec, frame) >= 0) {
      append_channel0(frame, out);
      av_frame_unref(frame);
    }
  }
}

// The lag in [0, max_lag] at which `decoded` best matches `ref`: normalised cross-correlation
// over the loudest two seconds of `ref` (a quiet opening would match any lag).
std::size_t best_lag(const std::vector<float>& ref, const std::vector<float>& decoded, int rate, std::size_t max_lag) {
  const std::size_t span = std::min<std::size_t>(ref.size(), 2 * static_cast<std::size_t>(rate));
  const std::size_t step = std::max<std::size_t>(1, static_cast<std::size_t>(rate) / 4);
  std::size_t from = 0;
  double loudest = -1;
  for (std::size_t start = 0; start + span <= ref.size(); start += step) {
    double e = 0;
    for (std::size_t i = start; i < start + span; ++i) e += double(ref[i]) * ref[i];
    if (e > loudest) loudest = e, from = start;
  }
  std::size_t best = 0;
  double best_c = -1e300;
  for (std::size_t lag = 0; lag <= max_lag && from + lag + span <= decoded.size(); ++lag) {
    double c = 0, e = 1e-12;
    for (std::size_t i = from; i < from + span; ++i) {
      c += double(ref[i]) * decoded[lag + i];
      e += double(decoded[lag + i]) * decoded[lag + i];
    }
    const double score = c / std::sqrt(e);
    if (score > best_c) best_c = score, best = lag;
  }
  return best;
}

}  // namespace

Waveform lossy_round_trip(const Waveform& audio, LossyCodec which, int bit_rate) {
  if (audio.samples.empty()) throw InvalidArgument("codec round trip of empty audio");
  if (audio.rate <= 0) throw InvalidArgument("codec round trip: bad sample rate " + std::to_string(audio.rate));
  if (bit_rate <= 0) throw InvalidArgument("codec round trip: bad bit rate " + std::to_string(bit_rate));
  ff::silence_logs();
  ff::Codec enc = open_encoder(which, audio.rate, bit_rate);
  ff::Codec dec = open_decoder_for(enc.get());
  ff::Packet pkt = ff::make_packet();
  ff::Frame frame = ff::make_frame();
  ff::Frame decoded = ff::make_frame();
  const int frame_size = enc->frame_size > 0 ? enc->frame_size : 1024;
  std::vector<float> out;
  const std::size_t n = audio.samples.size();
  for (std::size_t pos = 0; pos < n; pos += frame_size) {
    const int count = static_cast<int>(std::min<std::size_t>(frame_size, n - pos));
    frame->nb_samples = frame_size;  // the last frame is zero-padded to a whole frame
    frame->format = AV_SAMPLE_FMT_FLTP;
    frame->sample_rate = audio.rate;
    av_channel_layout_copy(&frame->ch_layout, &enc->ch_layout);
    int rc = av_frame_get_buffer(frame.get(), 0);
    if (rc < 0) throw Error("cannot allocate an audio frame: " + ff::error_text(rc));
    float* dst = reinterpret_cast<float*>(frame->data[0]);
    std::fill(dst, dst + frame_size, 0.0f);
    std::copy(audio.samples.begin() + pos, audio.samples.begin() + pos + count, dst);
    frame->pts = static_cast<int64_t>(pos);
    rc = avcodec_send_frame(enc.get(), frame.get());
    av_frame_unref(frame.get());
    if (rc < 0) throw Error("encoding failed: " + ff::error_text(rc));
    drain(enc.get(), dec.get(), pkt.get(), decoded.get(), out);
  }
  avcodec_send_frame(enc.get(), nullptr);
  drain(enc.get(), dec.get(), pkt.get(), decoded.get(), out);
  avcodec_send_packet(dec.get(), nullptr);
  while (avcodec_receive_frame(dec.get(), decoded.get()) >= 0) {
    append_channel0(decoded.get(), out);
    av_frame_unref(decoded.get());
  }
  // Remove the priming delay. The encoder reports its padding, but what the decoder adds
  // without a container differs per codec, so the lag is measured, up to that padding plus a frame.
  const std::size_t max_lag = static_cast<std::size_t>(std::max(0, enc->initial_padding)) + frame_size;
  const std::size_t lag = best_lag(audio.samples, out, audio.rate, max_lag);
  out.erase(out.begin(), out.begin() + std::min(lag, out.size()));
  out.resize(n, 0.0f);
  return Waveform{audio.rate, std::move(out)};
}

}  // namespace dubkit
