// Mel-cepstral distortion (MCD) between a reference recording and a resynthesis of it: how far
// apart their spectral envelopes are, in dB (Kubichek 1993). Lower is better; a resynthesis
// that keeps the envelope exactly scores 0.
//
// Cepstra: c_1..c_24 of the orthonormal DCT-II of ln mel magnitudes (80 Slaney bands 0 Hz to
// Nyquist, 1024-point Hann STFT, hop 256, centred). Per frame: (10 / ln 10) * sqrt(2 * sum_d
// (c_d - c'_d)^2); c_0 (level) is left out. The mean is taken over the reference's speech
// frames: those whose mean log magnitude is within 40 dB of the loudest frame's, so long
// silences do not dilute the figure. Frames are compared one to one (no time warping): the two
// signals must be time-aligned, as analysis-resynthesis is.
#pragma once

#include "audio/waveform.hpp"

namespace dubkit {

// Throws InvalidArgument when the rates differ, FormatError when either wave is shorter than one
// analysis window (1024 samples).
double mel_cepstral_distortion(const Waveform& reference, const Waveform& test);

// The same between signals of different timing (a synthesis of the recording's text against
// the recording): frames paired along the dynamic-time-warping path of least total distance
// (steps 1:0, 0:1, 1:1), the mean taken over the path's pairs whose reference frame is speech.
// Throws as above, and InvalidArgument when frames x frames exceeds 5e7 (cut the audio first).
double mel_cepstral_distortion_dtw(const Waveform& reference, const Waveform& test);

}  // namespace dubkit
