// The dub's sound: the new dialogue over a bed, normalised and delivered at 48 kHz.
//
// Beds: silence; a music-and-effects stem (--background), played as it is; or the original
// audio track kept under the dialogue (--keep-original-audio-under DB): attenuated by DB dB
// while a line plays, with 150 ms ramps, and left as it was between lines (voice-over style).
// Loudness: the mix is scaled to `target_lufs` integrated (EBU R128, -23 LUFS by default,
// libebur128); when that would put a sample peak above `max_peak_dbfs`, the gain stops there
// instead (no limiter colours the sound) and the report says so, with the loudness reached.
// Mono: the bed is mixed down (the synthesised dialogue is mono, and so is the delivery).
#pragma once

#include <utility>
#include <vector>

#include "audio/waveform.hpp"

namespace dubkit {

struct MixOptions {
  int rate = 48000;            // Hz delivered
  double target_lufs = -23;    // integrated loudness target
  double max_peak_dbfs = -1;   // sample-peak ceiling after the gain
  double duck_db = 0;          // original bed only: attenuation under the lines, dB (> 0)
  double duck_ramp = 0.15;     // seconds
  void validate() const;       // throws InvalidArgument naming the flag
};

struct MixReport {
  double loudness_lufs = 0;    // after the gain (-inf for silence)
  double gain_db = 0;
  double peak_dbfs = 0;        // after the gain
  bool peak_limited = false;   // the ceiling, not the target, set the gain
};

// `dialogue`: the lines placed on the video's timeline from t = 0 (any rate); `bed`: the
// background or original track (any rate; empty for silence), `duck_spans`: where lines play
// (seconds), used only when duck_db > 0. The result lasts `seconds`: the bed and the dialogue
// are cut or padded with silence to it.
Waveform mix_dub(const Waveform& dialogue, const Waveform& bed, const std::vector<std::pair<double, double>>& duck_spans,
                 double seconds, const MixOptions& o, MixReport& report);

}  // namespace dubkit
