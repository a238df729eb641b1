// Inputs the benchmarks share: generated, so every run of every program sees the same signal.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "audio/waveform.hpp"

namespace dubkit::bench {

// A 190 Hz tone at 0.3 plus uniform noise at 0.05 (seeded LCG): every STFT bin has energy, so
// no code path gets to skip silent frames.
inline Waveform noisy_tone(int rate, double seconds) {
  Waveform w{rate, std::vector<float>(static_cast<std::size_t>(rate * seconds))};
  std::uint32_t s = 1;
  for (std::size_t i = 0; i < w.samples.size(); ++i) {
    s = s * 1664525u + 1013904223u;
    const double noise = (s >> 8) / double(1 << 24) - 0.5;
    w.samples[i] = static_cast<float>(0.3 * std::sin(2 * M_PI * 190.0 * i / rate) + 0.05 * noise);
  }
  return w;
}

}  // namespace dubkit::bench
