// Levels: peak, EBU R128 loudness (libebur128), normalisation, silence trimming.
#pragma once

#include "audio/waveform.hpp"

namespace dubkit {

// Largest absolute sample value (linear, 0 for silence).
float peak(const Waveform& w);
// Integrated loudness in LUFS (ITU-R BS.1770-4 / EBU R128). -inf for silence or audio shorter
// than one 400 ms gating block.
double integrated_loudness(const Waveform& w);

// Scales so the peak is `dbfs` (e.g. -1). Silence is returned unchanged.
void normalize_peak(Waveform& w, double dbfs);

// Scales `w` so its RMS level is `dbfs` dBFS (a full-scale sine is -3 dBFS). Silence is left as
// it is.
void normalize_rms(Waveform& w, double dbfs);
// Scales so the integrated loudness is `lufs` (e.g. -23). Throws FormatError when the
// loudness cannot be measured (silence, under 400 ms). The result may clip: check peak().
void normalize_loudness(Waveform& w, double lufs);

// Removes leading and trailing stretches whose 25 ms frame RMS is more than `top_db` below the
// loudest frame (librosa.effects.trim's rule). All-silent input comes back empty.
void trim_silence(Waveform& w, double top_db = 60.0);

}  // namespace dubkit
