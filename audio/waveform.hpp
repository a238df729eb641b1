// The audio type that crosses stage boundaries.
#pragma once

#include <cstddef>
#include <vector>

namespace dubkit {

// Mono audio, float samples nominally in [-1, 1], at `rate` Hz.
struct Waveform {
  int rate = 0;
  std::vector<float> samples;

  double seconds() const { return rate > 0 ? static_cast<double>(samples.size()) / rate : 0.0; }
};

}  // namespace dubkit
