// Duration control: from the durations the model predicts to the ones it is told to use.
// Dubbing needs a line to fill its slot exactly, so the controls are explicit and every
// stretch is bounded and reported instead of silently producing unnatural speech.
//
// Durations are in mel frames (wav2lip-16k: 80 frames per second); fractional frames are
// fine (Gaussian upsampling places phones continuously); the utterance lasts
// round(sum of frames) frames.
#pragma once

#include <cstddef>
#include <map>
#include <vector>

namespace dubkit {

struct DurationControls {
  double rate = 1.0;          // speaking rate: 1.25 speaks 25% faster (durations / rate)
  double total_seconds = -1;  // < 0: free; otherwise the utterance lasts this long (to the frame)
  std::map<std::size_t, double> phone_seconds;  // phone index -> fixed duration (seconds)
  double min_stretch = 0.5;   // bounds of the scale applied to the predicted durations of the
  double max_stretch = 2.0;   //   phones that are not fixed
  void validate() const;      // throws InvalidArgument naming the control and value
};

struct DurationPlan {
  std::vector<double> frames;  // per phone
  double stretch = 1.0;        // scale applied to the free phones' predicted durations
  double seconds = 0;          // the utterance's length, whole frames
  long total_frames = 0;
};

// Throws InvalidArgument when a fixed phone index is out of range, when the target cannot be
// met (every phone fixed, or fixed phones alone longer than the target), or when the stretch
// it needs lies outside [min_stretch, max_stretch] (message: needed vs natural duration and
// the bounds).
DurationPlan plan_durations(const std::vector<double>& predicted_frames, const DurationControls& controls,
                            double frames_per_second);

}  // namespace dubkit
