// Pitch and formant statistics of a voice, measured by Praat (Debian `praat`, run headless):
// an independent judge of voice identity beside dubkit's own speaker encoder, for comparing a
// synthesis with the speaker's recordings.
//
//   median_f0   Praat's autocorrelation pitch (floor 75 Hz, ceiling 600 Hz), median over the
//               voiced frames, Hz
//   f1, f2, f3  Burg formants (5 formants up to `formant_ceiling`, 25 ms windows), mean over the
//               voiced frames (the pitch's), Hz
//
// The audio is written to a temporary WAV that is removed before returning (synthesised speech
// in eval is never kept).
#pragma once

#include "audio/waveform.hpp"

namespace dubkit {

struct VoiceStatistics {
  double median_f0 = 0;
  double f1 = 0, f2 = 0, f3 = 0;
  long voiced_frames = 0;  // 10 ms frames the figures average
};

// Praat's usual formant ceilings: 5500 Hz for higher voices, 5000 Hz for lower ones.
double formant_ceiling_for(double median_f0);

// Throws IoError when praat is not installed ("apt install praat"), Error when it fails or
// finds no voiced frame, InvalidArgument for empty audio or a ceiling outside 3000-8000 Hz.
VoiceStatistics praat_voice_statistics(const Waveform& wave, double formant_ceiling);

}  // namespace dubkit
