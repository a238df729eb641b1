// Voice-activity detection by frame energy against the recording's own noise floor: good
// enough to cut leading/trailing silence and pauses before a speaker embedding, not a
// speech/music classifier.
//
// A 30 ms frame (10 ms hop) is speech when its level is above all of: the noise floor (10th
// percentile of frame levels) + `floor_margin_db`, the loud level (99th percentile) -
// `dynamic_range_db`, and `absolute_db`. Gaps shorter than `bridge_ms` are filled, runs
// shorter than `min_run_ms` dropped, and every run widened by `pad_ms`.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "audio/waveform.hpp"

namespace dubkit {

struct VadOptions {
  double floor_margin_db = 10;   // dB above the noise floor
  double dynamic_range_db = 40;  // dB below the loud level
  double absolute_db = -55;      // dBFS, RMS of a frame
  double bridge_ms = 300;        // pauses shorter than this stay in
  double min_run_ms = 60;        // blips shorter than this are dropped
  double pad_ms = 40;            // kept around each run
};

struct SpeechRegions {
  std::vector<std::pair<std::size_t, std::size_t>> segments;  // [begin, end) sample indices
  double speech_seconds = 0;
};

SpeechRegions detect_speech(const Waveform& wave, const VadOptions& opts = {});

// The speech segments of `wave` joined end to end.
Waveform keep_speech(const Waveform& wave, const SpeechRegions& regions);

}  // namespace dubkit
