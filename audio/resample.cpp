#include "audio/resample.hpp"

#include <soxr.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace dubkit {

namespace {

// Interleaved `channels`-channel float samples from in_rate to out_rate.
std::vector<float> soxr_convert(const std::vector<float>& in, int channels, int in_rate, int out_rate) {
  if (out_rate <= 0 || in_rate <= 0)
    throw InvalidArgument("resample: rates must be positive (from " + std::to_string(in_rate) +
                          " to " + std::to_string(out_rate) + ")");
  const std::size_t frames = in.size() / channels;
  std::vector<float> out(static_cast<std::size_t>(std::ceil(frames * double(out_rate) / in_rate)) * channels);
  const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  const soxr_quality_spec_t q = soxr_quality_spec(SOXR_VHQ, 0);
  std::size_t done = 0;
  const soxr_error_t err = soxr_oneshot(in_rate, out_rate, static_cast<unsigned>(channels), in.data(),
                                        frames, nullptr, out.data(), out.size() / channels, &done,
                                        &io, &q, nullptr);
  if (err) throw Error(std::string("resample: soxr failed: ") + err);
  out.resize(done * channels);
  return out;
}

}  // namespace

Waveform resample(const Waveform& in, int rate) {
  if (rate == in.rate) return in;
  return Waveform{rate, soxr_convert(in.samples, 1, in.rate, rate)};
}

AudioData resample(const AudioData& in, int rate) {
  if (rate == in.info.rate) return in;
  AudioData out;
  out.info = in.info;
  out.info.rate = rate;
  out.interleaved = soxr_convert(in.interleaved, in.info.channels, in.info.rate, rate);
  out.info.frames = static_cast<long long>(out.interleaved.size() / in.info.channels);
  return out;
}

StreamResampler::StreamResampler(int in_rate, int out_rate) : ratio_(double(out_rate) / in_rate) {
  if (out_rate <= 0 || in_rate <= 0) throw InvalidArgument("resample: rates must be positive");
  const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  const soxr_quality_spec_t q = soxr_quality_spec(SOXR_VHQ, 0);
  soxr_error_t err = nullptr;
  soxr_ = soxr_create(in_rate, out_rate, 1, &err, &io, &q, nullptr);
  if (err || !soxr_) throw Error(std::string("resample: soxr failed: ") + (err ? err : "no memory"));
}

StreamResampler::~StreamResampler() { soxr_delete(soxr_); }

std::vector<float> StreamResampler::run(const float* in, std::size_t n) {
  // With in == nullptr soxr flushes; it may need several calls to empty its buffers.
  std::vector<float> out;
  std::vector<float> buf(static_cast<std::size_t>(n * ratio_) + 4096);
  std::size_t consumed = 0;
  while (true) {
    std::size_t idone = 0, odone = 0;
    const soxr_error_t err = soxr_process(soxr_, in ? in + consumed : nullptr, in ? n - consumed : 0, &idone,
                                          buf.data(), buf.size(), &odone);
    if (err) throw Error(std::string("resample: soxr failed: ") + err);
    consumed += idone;
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<long>(odone));
    if (in ? (consumed == n && odone < buf.size()) : odone == 0) break;
  }
  return out;
}

std::vector<float> StreamResampler::process(const std::vector<float>& in) {
  return in.empty() ? std::vector<float>{} : run(in.data(), in.size());
}

std::vector<float> StreamResampler::finish() { return run(nullptr, 0); }

}  // namespace dubkit
