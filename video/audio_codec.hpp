// A lossy audio codec round trip in memory (FFmpeg): what a file goes through when someone
// re-encodes it as MP3 or AAC. Used by the watermark robustness suite.
#pragma once

#include "audio/waveform.hpp"

namespace dubkit {

enum class LossyCodec {
  Mp3,  // FFmpeg's libmp3lame encoder, FFmpeg's MP3 decoder
  Aac,  // FFmpeg's native "aac" encoder and decoder
};

// Encodes mono `audio` with `codec` at `bit_rate` bit/s at its own sample rate, decodes the raw
// packets back (no container), removes the codec's delay (the encoder's reported padding, then
// a cross-correlation search for any remainder) and returns audio of the input's rate and
// length. Throws InvalidArgument for an empty input, a bad rate or bit rate, Error when the
// codec is missing or refuses the rate. Thread-safe (no shared state).
Waveform lossy_round_trip(const Waveform& audio, LossyCodec codec, int bit_rate);

}  // namespace dubkit
