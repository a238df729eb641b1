// Long-term average spectrum (LTAS): each bin's power averaged over the whole recording, the
// usual measure of a voice's or a channel's bandwidth (how much of its energy lies above a
// frequency), independent of what was said.
#pragma once

#include <vector>

#include "audio/waveform.hpp"

namespace dubkit {

// Mean power per bin of a 2048-point Hann STFT (hop 512, centred, zero padding): 1025 values,
// bin k at k * rate / 2048 Hz. Throws FormatError when the wave is shorter than 2048 samples.
std::vector<double> long_term_spectrum(const Waveform& wave);

// The share of the LTAS power in [lo_hz, hi_hz), relative to all of it, in dB (0 dB: all of it;
// a band above the wave's Nyquist frequency holds none). A band with no power at all gives
// -200 dB. Throws InvalidArgument unless 0 <= lo_hz < hi_hz, FormatError as above.
double band_share_db(const Waveform& wave, double lo_hz, double hi_hz);

}  // namespace dubkit
