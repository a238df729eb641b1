// Pseudo-speakers: deterministic perturbations of a base voice that change what a listener
// (and a speaker encoder) hears as the speaker, while keeping the words and phone timing.
//   formant  vocal-tract-length warp: the audio is resampled by this ratio (all frequencies
//            move), then pitch and duration are put back by Rubber Band with the spectral
//            envelope preserved, so only the formants stay moved
//   pitch    F0 ratio (Rubber Band pitch shift)
//   rate     speaking-rate ratio (Rubber Band time stretch; phone times scale by 1/rate)
//   tilt     first-order spectral tilt y[n] = x[n] - tilt * x[n-1] (>0 brighter, <0 darker)
//   reverb   wet level of a small Schroeder room (4 combs, 2 all-passes), `room` its decay
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "audio/waveform.hpp"
#include "corpus/engines.hpp"

namespace dubkit {

struct VoicePerturbation {
  double pitch = 1.0;    // F0 ratio, 1 = unchanged
  double formant = 1.0;  // formant frequency ratio (>1: shorter vocal tract)
  double rate = 1.0;     // speaking rate ratio (>1: faster)
  double tilt = 0.0;     // in [-0.5, 0.5]
  double reverb = 0.0;   // wet level in [0, 0.3]; 0 = dry
  double room = 0.5;     // comb feedback scale in [0, 1]
};

// The perturbation of pseudo-speaker `index` of a base voice: index 0 is the base voice
// itself; others draw pitch within +/-4 semitones, formants 0.88..1.14, rate 0.85..1.2, tilt
// -0.4..0.4 and, for 60% of speakers, reverb, from a generator seeded by (seed, speaker id).
VoicePerturbation perturbation_for(std::uint64_t seed, const std::string& speaker_id, int index);

// Applies `p` to `in` and returns mono audio at `out_rate`, peak-normalised to `peak`.
// `phones` (times in seconds) are rescaled to the new timing and clipped to its length.
Waveform apply_perturbation(const Waveform& in, const VoicePerturbation& p, int out_rate, double peak,
                            std::vector<PhoneSpan>& phones);

// FNV-1a of a string mixed with a seed: stable across platforms and runs, unlike std::hash.
std::uint64_t stable_hash(const std::string& s, std::uint64_t seed = 0);

}  // namespace dubkit
