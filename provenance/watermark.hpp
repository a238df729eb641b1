// The keyed audio watermark every waveform dubkit synthesises carries.
//
// CONTRACT (implementation free to choose, but keep these signatures):
// - A 32-bit payload per one-second block, keyed by a 32-byte secret studio watermark key; a
//   tail of 0.5-1 s after the whole seconds (all of a clip of that length) carries one more
//   payload in a half-second block.
// - Works on 16 kHz speech-band content; audio at other rates is handled by the functions
//   (resampled internally), output at the input's rate and length.
// - Marked vs unmarked SNR >= 35 dB.
// - Detection reports, per block, found or not, the payload, and a false-positive-controlled
//   confidence; "not found" means unknown, never authentic.
//
// THE SCHEME (docs/WATERMARK.md has the measurements):
// - At 16 kHz, frames of 500 samples every 250 (sqrt-Hann analysis and synthesis), bins 16..127
//   (500-4000 Hz). A one-second block (16000 samples, 64 frames) is cut into 224 tiles of
//   4 frames x 8 bins; a tile's statistic is r = ln(E_A / E_B), the log ratio of the energies of
//   its lower and upper 4 bins (invariant to gain and to smooth filtering).
// - Each tile carries one bit by dither-modulation QIM on r (step kStep, a key-derived dither per
//   tile). A key-derived permutation makes 110 tiles synchronisation tiles (a key-derived known bit
//   pattern) and 114 data tiles: the 32-bit payload plus 6 tail bits through a rate-1/3, K=7
//   convolutional code (generators 133/171/165 octal), decoded by soft Viterbi.
// - The embedding holds each block's added error energy 37.5 dB under the block's energy by
//   water-filling: tiles whose full QIM move would cost most (the loudest) move only part way.
// - A half-second block has the same 224 tiles with 2 frames per slot, under its own layout.
// - Detection tries every block start on a 125-sample grid (optionally also time/frequency
//   scales, WatermarkSearch), weighting tiles by their estimated signal-to-noise ratio. The sync score S = sum of
//   cos(2 pi (u_i - expected_i)) over the sync tiles (u_i = the tile's fractional lattice position)
//   is, on audio not marked with this key, a sum of independent arcsine-distributed terms (the
//   dither is uniform and independent of the audio), whatever the audio. Their moment generating
//   function I0(t) <= exp(t^2/4) gives the exact Chernoff bound P(z >= x) <= exp(-x^2/2) for
//   z = S / sqrt(M/2); a block's false-positive probability is that bound times the number of
//   candidate starts searched for it (Bonferroni).
//
// The code, by role, around what both sides share (watermark_scheme.hpp): watermark_payload.cpp
// (the key's layout, the payload and its code), watermark_analysis.cpp (audio to tile
// statistics), watermark_embed.cpp, watermark_detect.cpp.
//
// Thread safety: all functions are reentrant (no shared mutable state).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "audio/waveform.hpp"

namespace dubkit {

struct WatermarkKey {
  std::array<unsigned char, 32> bytes{};
};

// The payload of block `block` (0-based, one-second blocks from the start of the audio).
using WatermarkPayloads = std::function<std::uint32_t(std::size_t block)>;

struct WatermarkBlock {
  double start_seconds = 0;               // where the block was found in the audio
  bool found = false;                     // the mark's synchronisation pattern passed the test
  std::uint32_t payload = 0;              // decoded payload (meaningful when found)
  double seconds = 1;                     // the block's length: 1, or 0.5 for the half block of a tail
  double score = 0;                       // detection statistic (z-score-like, higher = stronger)
  double false_positive_probability = 1;  // chance unmarked audio scores this high at this search
  double time_scale = 1;                  // the search hypothesis that matched: > 1 = audio made faster
  double freq_scale = 1;                  // > 1 = frequencies raised (speed change by resampling)
};

// What detection searches besides position. Every hypothesis multiplies the number of tests, so
// the threshold on the score rises (Bonferroni): the default searches position only.
struct WatermarkSearch {
  std::vector<double> tempo_factors;  // pitch-preserving tempo changes (time scale only)
  std::vector<double> speed_factors;  // speed changes by resampling (time and frequency scale)
  // 0.8875 .. 1.1125 in steps of 0.0125, both kinds: 36 hypotheses besides the identity.
  static WatermarkSearch wide();
};

struct WatermarkDetection {
  std::vector<WatermarkBlock> blocks;
  bool found() const;  // any block found
};

// Embeds the mark into `audio` (any rate >= 8 kHz, mono). Throws InvalidArgument for a bad rate
// or non-finite samples. Every whole one-second block is marked (payloads 0..n-1), then a tail of
// at least half a second gets a half-second block (payload n) at its start; a shorter tail is
// returned unchanged, so audio under half a second comes back unmarked.
Waveform embed_watermark(const Waveform& audio, const WatermarkKey& key, const WatermarkPayloads& payloads);

// How many payloads embed_watermark puts in `samples` samples at `rate`: the whole seconds, plus
// one for a tail of half a second or more.
std::size_t watermark_block_count(std::size_t samples, int rate);

// Searches `audio` (any rate, any length, any alignment) for marked blocks of both lengths (the
// half block at the original rate and time scale only). A block is "found"
// when its false-positive probability (the bound times the tests made in the second of starts
// around it) is at most `max_false_positive`: so each second of unmarked audio yields a false
// "found" with probability at most that. Found blocks are taken strongest first, each ruling out
// starts within 0.75 s of it; every second of starts with no found block is reported "not found"
// (unknown, never evidence of authenticity) with its best score. Blocks are sorted by start.
// Throws InvalidArgument for a bad rate, non-finite samples or max_false_positive outside (0, 1].
WatermarkDetection detect_watermark(const Waveform& audio, const WatermarkKey& key, double max_false_positive = 1e-6);
// The same, also trying the time and frequency scales of `search`.
WatermarkDetection detect_watermark(const Waveform& audio, const WatermarkKey& key, double max_false_positive,
                                    const WatermarkSearch& search);

// Truncated HMAC-SHA-256 (libsodium) of the consent id, output id and segment index under
// `key`: the payload of segment `segment` of output `output_id`. No personal data in the mark.
std::uint32_t watermark_payload(const WatermarkKey& key, const std::string& consent_id, const std::string& output_id,
                                std::uint64_t segment);

// --- Diagnostics (for the null-hypothesis check of the robustness suite) ---

// The detection statistic z of every candidate block start (125-sample grid at 16 kHz) in `audio`
// under `key`: the whole-block starts, then the half-block starts; empty when the audio is
// shorter than half a second. Throws as detect_watermark.
std::vector<double> watermark_candidate_scores(const Waveform& audio, const WatermarkKey& key);

// The upper bound on P(z >= x) for one candidate on audio not marked with the key: exp(-x^2/2)
// (1 for x <= 0).
double watermark_tail_bound(double z);

// A WatermarkKey from 64 hex digits; throws InvalidArgument otherwise.
WatermarkKey watermark_key_from_hex(const std::string& hex);

}  // namespace dubkit
