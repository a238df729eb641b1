#include "audio/resample.hpp"

#include <soxr.h>

#include <cmath>
#include <string>

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

}  // namespace dubkit
