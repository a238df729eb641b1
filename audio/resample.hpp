// Sample-rate conversion through libsoxr (very-high-quality preset, linear phase).
#pragma once

#include "audio/io.hpp"
#include "audio/waveform.hpp"

namespace dubkit {

// Returns `in` at `rate` Hz (a copy when the rate already matches). Throws InvalidArgument for
// a non-positive rate, Error when soxr fails.
Waveform resample(const Waveform& in, int rate);
// The same for interleaved multichannel audio.
AudioData resample(const AudioData& in, int rate);

}  // namespace dubkit
