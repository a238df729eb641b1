// How long each dubbed line is spoken. A line should fill its cue's slot, as the original
// actor's line did, through the synthesizer's duration control (synth/durations.hpp), within
// bounds that keep the speech natural:
//
//   fitted    natural duration x stretch = slot, stretch within [min_stretch, max_stretch]
//   short     even at max_stretch the line is shorter than its slot: spoken at max_stretch
//             from the cue start, silence after it
//   borrowed  even at min_stretch the line is longer than its slot: with the `borrow` policy
//             (default) it runs on into the pause after the cue, up to `gap` seconds before
//             the next line (or the video's end), at the stretch that just fits
//   overflow  it does not fit even then (or the policy is `fail`): the dub is refused, every
//             such line listed with the time it needs and the time it has
#pragma once

#include <string>

namespace dubkit {

enum class OverflowPolicy { Borrow, Fail };

struct LineFitOptions {
  double min_stretch = 0.8;   // durations x 0.8: at most 25% faster than natural
  double max_stretch = 1.25;  // at most 25% slower
  double gap = 0.1;           // seconds kept silent before the next line when borrowing
  OverflowPolicy overflow = OverflowPolicy::Borrow;
  void validate() const;      // throws InvalidArgument naming the flag
};

struct LineFit {
  std::string fit;               // fitted | short | borrowed | overflow
  double target_seconds = 0;     // how long to synthesise (the needed time for an overflow)
  double available_seconds = 0;  // slot, plus the pause used when borrowing
  double stretch = 1;            // target / natural
};

// `natural`: the line's duration at stretch 1 (seconds, > 0); `slot`: its cue's length;
// `room_after`: seconds from the cue's end to the next line's start (or the video's end).
LineFit fit_line(double natural, double slot, double room_after, const LineFitOptions& o);

}  // namespace dubkit
