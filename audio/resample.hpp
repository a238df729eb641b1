// Sample-rate conversion through libsoxr (very-high-quality preset, linear phase).
#pragma once

#include "audio/io.hpp"
#include "audio/waveform.hpp"

struct soxr;  // libsoxr's handle (soxr_t)

namespace dubkit {

// Returns `in` at `rate` Hz (a copy when the rate already matches). Throws InvalidArgument for
// a non-positive rate, Error when soxr fails.
Waveform resample(const Waveform& in, int rate);
// The same for interleaved multichannel audio.
AudioData resample(const AudioData& in, int rate);

// Streaming mono conversion for input read in pieces: process() returns what is ready,
// finish() the rest. Not thread-safe.
class StreamResampler {
 public:
  StreamResampler(int in_rate, int out_rate);  // throws InvalidArgument, Error
  ~StreamResampler();
  StreamResampler(const StreamResampler&) = delete;
  StreamResampler& operator=(const StreamResampler&) = delete;
  std::vector<float> process(const std::vector<float>& in);
  std::vector<float> finish();

 private:
  std::vector<float> run(const float* in, std::size_t n);
  ::soxr* soxr_ = nullptr;
  double ratio_;
};

}  // namespace dubkit
