// Internal to the audio watermark (provenance/watermark.hpp describes the scheme): what the
// embedder (watermark_embed.cpp) and the detector (watermark_detect.cpp) share. The tile
// geometry, the key-derived layout and payload code (watermark_payload.cpp), and the analysis of
// audio into tile statistics (watermark_analysis.cpp).
#pragma once

#include <array>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "audio/waveform.hpp"
#include "provenance/watermark.hpp"

namespace dubkit::watermark_scheme {

// --- Geometry (16 kHz) ---
constexpr int kRate = 16000;
constexpr int kFrame = 500;             // samples per analysis frame (32 Hz bins)
constexpr int kHop = 250;               // embedding frame step: 50% overlap
constexpr int kSearchHop = 125;         // detection candidate / frame step: half the hop
constexpr int kBlock = 16000;           // one second
constexpr int kFramesPerBlock = kBlock / kHop;  // 64
constexpr int kFirstBin = 16;           // 500 Hz
constexpr int kGroupBins = 4;           // bins per energy group (half a tile's height)
constexpr int kGroups = 28;             // bins 16..127 in groups of 4
constexpr int kBands = kGroups / 2;     // 14: a tile = groups 2k (A) and 2k+1 (B)
constexpr int kTileFrames = 4;
constexpr int kSlots = kFramesPerBlock / kTileFrames;  // 16
constexpr int kTiles = kSlots * kBands;                // 224
constexpr int kSyncTiles = 110;
constexpr int kPayloadBits = 32;
constexpr int kTail = 6;                                  // K - 1
constexpr int kCodedBits = 3 * (kPayloadBits + kTail);    // 114
static_assert(kSyncTiles + kCodedBits == kTiles, "every tile has a role");
constexpr int kSearchPerHop = kHop / kSearchHop;          // 2
constexpr int kCandidatesPerBlock = kBlock / kSearchHop;  // 128

// The two block shapes. Every whole second of an output is a long block; a tail of half a
// second or more after them (all of an output between 0.5 and 1 s long) is a short block: the
// same 16 slots x 14 bands of tiles, each slot 2 frames instead of 4, under a layout of its own.
enum class Shape { whole, half };
constexpr int tile_frames(Shape s) { return s == Shape::whole ? kTileFrames : kTileFrames / 2; }
constexpr int block_frames(Shape s) { return kSlots * tile_frames(s); }
constexpr int block_samples(Shape s) { return block_frames(s) * kHop; }  // 16000 or 8000

// QIM step on r = ln(E_A/E_B), natural-log units (1.7 = 7.4 dB between lattice points of one
// bit). Measured on corpus speech (docs/WATERMARK.md): at 16 kHz, 0.35 / 0.5 / 0.7 / 1.0 / 1.4
// gave MP3 detection 0.74 / 0.93 / 1.0 / 1.0 / 1.0 under the same SNR budget; at 48 kHz, marked
// then AAC 128 kbit/s then AAC 64 kbit/s (20 files, 58 blocks), 1.0 / 1.4 / 1.7 / 2.0 found
// 45 / 53 / 57 / 56. 1.7 keeps each group's gain change within +-3.7 dB.
constexpr double kStep = 1.7;
constexpr double kEnergyFloor = 1e-9;

// libsodium is initialised before the first key is used.
void ensure_sodium();

// The key-derived roles: which tiles are sync and which data bit each data tile carries, each
// tile's dither, the sync pattern. Derived with HMAC-SHA-256 (domain-separated) then ChaCha20.
struct Layout {
  std::array<double, kTiles> dither{};  // [0, 1)
  std::array<int, kTiles> role{};       // < 0: sync tile; else index of the coded data bit
  std::array<int, kTiles> sync_bit{};   // expected bit of a sync tile
};

// Each shape has its own layout (a domain tag of its own), so the two never test alike.
Layout make_layout(const WatermarkKey& key, Shape shape);

// The payload's convolutional code: rate 1/3, K = 7, generators 133, 171, 165 (octal), 6 tail
// bits. conv_encode gives the coded bits; viterbi_decode takes soft values (soft[i] > 0 favours
// coded bit 0) and returns the payload of the most correlated path.
std::array<int, kCodedBits> conv_encode(std::uint32_t payload);
std::uint32_t viterbi_decode(const std::array<double, kCodedBits>& soft);

// --- Spectral analysis: one sqrt-Hann frame at a time through the shared Stft (FFTW) ---

// The sqrt-Hann window of kFrame samples; analysis and synthesis with it reconstruct perfectly
// at 50% overlap.
const std::vector<float>& sqrt_hann();
// The spectrum of the sqrt-Hann frame of x starting at `pos` (zeros past the end).
std::vector<std::complex<float>> frame_spectrum(const std::vector<float>& x, std::size_t pos);
// The inverse of a frame's kFrame / 2 + 1 bins, unwindowed.
std::vector<float> frame_inverse(const std::complex<float>* bins);

using GroupEnergies = std::array<float, kGroups>;
GroupEnergies group_energies(const std::vector<std::complex<float>>& spec);

// Where a block's frames (64, or 32 for a half block: the rest unused) are in a frame sequence.
using FrameIndex = std::array<std::size_t, kFramesPerBlock>;
FrameIndex consecutive_frames(std::size_t first);

// Per time slot, each group's energy summed over the slot's frames (tile_frames(shape) of them).
using SlotEnergies = std::array<GroupEnergies, kSlots>;
SlotEnergies slot_energies(const std::vector<GroupEnergies>& frames, const FrameIndex& idx, Shape shape);

// r = ln(E_A / E_B) of every tile (tile = slot * kBands + band).
std::array<double, kTiles> tile_ratios(const SlotEnergies& e);

// The fractional lattice position of r after the dither, in [0, 1): bit b sits at b/2.
double lattice_position(double r, double dither);

// Throws InvalidArgument for a rate under `min_rate` or non-finite samples.
void check_input(const Waveform& audio, int min_rate);
// The audio at kRate (resampled when needed).
Waveform at16k(const Waveform& audio);

}  // namespace dubkit::watermark_scheme
