#include "lipsync/silence_gate.hpp"

#include <algorithm>
#include <iterator>

#include "audio/vad.hpp"

namespace dubkit {

SilenceGate::SilenceGate(const Waveform& speech, double fade) : fade_(fade), rate_(speech.rate) {
  VadOptions v;
  v.bridge_ms = 200;
  voiced_ = detect_speech(speech, v).segments;
}

double SilenceGate::weight(double t) const {
  // The segments are sorted and disjoint: only the one starting last before t and the next count.
  const auto sample = static_cast<std::size_t>(std::max(0.0, t * rate_));
  auto next = std::upper_bound(voiced_.begin(), voiced_.end(), sample,
                               [](std::size_t s, const auto& seg) { return s < seg.first; });
  double distance = 1e9;
  if (next != voiced_.end()) distance = double(next->first) / rate_ - t;
  if (next != voiced_.begin()) distance = std::min(distance, std::max(0.0, t - double(std::prev(next)->second) / rate_));
  return fade_ > 0 ? std::clamp(distance / fade_, 0.0, 1.0) : (distance > 0 ? 1.0 : 0.0);
}

}  // namespace dubkit
