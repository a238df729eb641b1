// The cleaning rules of the real speech corpus, one measure each, so that summary.json can
// count what every rule rejected and rejected.jsonl say why. Per recording (check_clip):
//   rate          the header's sample rate is implausible (KLettres has files claiming 128 kHz)
//   clipping      too many samples at full scale (measured at the file's own rate, before
//                 resampling smears the flat tops)
//   band-limited  too little energy above 4 kHz, at 16 kHz (a telephone or muffled recording
//                 teaches a vocoder to mumble)
//   level         the speech is too quiet to rise above its noise after levelling
//   silence       no speech found, or less than min_speech_seconds
// then leading and trailing silence is cut to `margin_seconds` and the level brought to
// `peak_dbfs`. Across a source (phone_rate_outliers): transcripts that do not match their
// audio, found by seconds per phone far from the source's median. Duplicates (same audio)
// are found by audio_hash.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "audio/waveform.hpp"

namespace dubkit {

struct CleaningRules {
  double max_rate_hz = 96000;           // header rates above this are not believed
  double clip_level = 0.99;             // |sample| at or above this counts as clipped
  double max_clipped_fraction = 0.001;  // of all samples
  double min_high_band_db = -45;        // energy above 4 kHz relative to 0-8 kHz, dB
  double min_speech_dbfs = -45;         // RMS of the detected speech before levelling
  double min_speech_seconds = 0.25;
  double margin_seconds = 0.1;          // silence kept before and after the speech
  double peak_dbfs = -1;                // the level written
  double max_phone_rate_ratio = 2.5;    // seconds per phone vs the source median, either way
  void validate() const;                // throws InvalidArgument naming the field
};

struct ClipCheck {
  std::string rejected;   // "" when kept, else the rule's name (above)
  std::string detail;     // the measure against its limit, for rejected.jsonl
  Waveform speech;        // 16 kHz, trimmed and levelled; empty when rejected
  int source_rate = 0;
  double clipped_fraction = 0, high_band_db = 0, speech_dbfs = 0;
  double trimmed_seconds = 0;  // silence cut from both ends
  double begin_seconds = 0;    // where `speech` starts in the recording
  float gain = 1;              // the levelling applied to `speech`
};

// `native`: the recording at its own rate. Thread-safe.
ClipCheck check_clip(const Waveform& native, const CleaningRules& rules);

// The kept span of `check` (a kept recording's) at `rate`, made from the recording itself, so a
// 44.1 kHz source keeps its band above 8 kHz at 22050 Hz; same start, length and gain.
Waveform kept_span_at(const Waveform& native, const ClipCheck& check, int rate);

// Energy above 4 kHz relative to the 0-8 kHz band, dB, over a 16 kHz wave.
double high_band_db(const Waveform& wave16k);

// A hash of the audio (16-bit quantised samples and rate): equal for the same recording
// shipped twice, whatever the file's name or container.
std::uint64_t audio_hash(const Waveform& wave);

// Indices of the entries whose seconds per phone is more than `max_ratio` times above or
// below the median of `seconds_per_phone` (entries <= 0 are not judged and not counted in the
// median).
std::vector<std::size_t> phone_rate_outliers(const std::vector<double>& seconds_per_phone, double max_ratio);

}  // namespace dubkit
