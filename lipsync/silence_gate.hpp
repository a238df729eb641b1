// The silence gate of the lipsync job: how much of a frame's mouth is the reference's closed
// mouth rather than the generator's. Generators tend to leave lips moving in silence; in pauses
// of the new speech the mouth is held closed instead.
//
// The weight is 0 while the speech is voiced and rises to 1 over `fade` seconds into a pause of
// at least 200 ms (energy VAD, audio/vad.hpp, with its 40 ms padding around each voiced run;
// shorter pauses are bridged). Past the speech's end is a pause like any other: the weight
// rises from the end of the last voiced run. The speech is analysed as given, not padded to the
// video's length: a long digitally silent tail would lower the VAD's noise floor (its 10th
// percentile of levels) and could turn a recording's room noise into speech, changing the
// pauses inside the speech with the length of the video.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "audio/waveform.hpp"

namespace dubkit {

// Immutable once made; weight() may be called from any thread.
class SilenceGate {
 public:
  // `fade` >= 0 seconds; 0 switches from 0 to 1 at the pause's edge.
  SilenceGate(const Waveform& speech, double fade);
  // At `seconds` (>= 0) on the speech's timeline, in [0, 1].
  double weight(double seconds) const;

 private:
  double fade_;
  int rate_;
  std::vector<std::pair<std::size_t, std::size_t>> voiced_;  // sorted, disjoint sample ranges
};

}  // namespace dubkit
