// The keyed audio watermark: see watermark.hpp for the scheme.
#include "provenance/watermark.hpp"

#include <sodium.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstring>
#include <numeric>

#include "audio/resample.hpp"
#include "audio/stft.hpp"
#include "core/error.hpp"

namespace dubkit {

namespace {

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

// QIM step on r = ln(E_A/E_B), natural-log units (1.0 = 4.3 dB between lattice points of one
// bit). Measured on corpus speech (docs/WATERMARK.md): 0.35 / 0.5 / 0.7 / 1.0 / 1.4 gave MP3
// detection 0.74 / 0.93 / 1.0 / 1.0 / 1.0 under the same SNR budget; 1.0 keeps per-group gain
// changes within +-2.2 dB, so quiet tiles are not audibly modulated.
constexpr double kStep = 1.0;
constexpr int kEmbedIterations = 4;  // re-analyse and correct: overlap-add blurs each change
// The error budget per block, dB below the block's energy; above the 35 dB required, since the
// later passes add about 1.5 dB to the first pass's estimate.
constexpr double kBlockSnrDb = 37.5;
constexpr double kMinSnrDb = 35.5;  // enforced over the whole signal (limit_distortion)
constexpr double kEnergyFloor = 1e-9;
// Variance of r per unit of noise-to-signal ratio in a tile, for the detection weights. Tuned on
// 8 corpus files (0, 0.05, 0.3, 1.0 tried; 0.05 best for MP3, crop and music); any value keeps
// the false-positive bound, since weights never depend on the key.
constexpr double kNoiseVar = 0.05;

void ensure_sodium() {
  static const int rc = sodium_init();
  if (rc < 0) throw Error("libsodium failed to initialise");
}

// The key-derived roles: which tiles are sync and which data bit each data tile carries, each
// tile's dither, the sync pattern. Derived with HMAC-SHA-256 (domain-separated) then ChaCha20.
struct Layout {
  std::array<double, kTiles> dither{};  // [0, 1)
  std::array<int, kTiles> role{};       // < 0: sync tile; else index of the coded data bit
  std::array<int, kTiles> sync_bit{};   // expected bit of a sync tile
};

Layout make_layout(const WatermarkKey& key) {
  ensure_sodium();
  static const char kDomain[] = "dubkit watermark layout v1";
  unsigned char seed[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, key.bytes.data(), key.bytes.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(kDomain), sizeof kDomain - 1);
  crypto_auth_hmacsha256_final(&st, seed);
  // 4 bytes per dither, per permutation draw and per sync bit.
  std::vector<unsigned char> stream(static_cast<std::size_t>(kTiles) * 12);
  const unsigned char nonce[crypto_stream_chacha20_NONCEBYTES] = {};
  crypto_stream_chacha20(stream.data(), stream.size(), nonce, seed);
  sodium_memzero(seed, sizeof seed);
  auto word = [&](std::size_t i) {
    std::uint32_t w;
    std::memcpy(&w, stream.data() + 4 * i, 4);
    return w;
  };
  Layout l;
  for (int i = 0; i < kTiles; ++i) l.dither[i] = word(i) / 4294967296.0;
  std::array<int, kTiles> perm{};
  std::iota(perm.begin(), perm.end(), 0);
  for (int i = kTiles - 1; i > 0; --i) {  // Fisher-Yates; the modulo bias of 2^32 % (i+1) is negligible
    const int j = static_cast<int>(word(kTiles + i) % static_cast<std::uint32_t>(i + 1));
    std::swap(perm[i], perm[j]);
  }
  for (int i = 0; i < kTiles; ++i) {
    const int tile = perm[i];
    l.role[tile] = i < kSyncTiles ? -1 : i - kSyncTiles;
    l.sync_bit[tile] = static_cast<int>(word(2 * kTiles + tile) & 1u);
  }
  return l;
}

// --- Convolutional code: rate 1/3, K = 7, generators 133, 171, 165 (octal) ---
constexpr std::array<unsigned, 3> kGenerators = {0133, 0171, 0165};

int parity(unsigned v) { return __builtin_parity(v); }

// Register: the newest bit in bit 6, the state (6 previous bits) in bits 5..0.
std::array<int, kCodedBits> conv_encode(std::uint32_t payload) {
  std::array<int, kCodedBits> out{};
  unsigned state = 0;
  for (int i = 0; i < kPayloadBits + kTail; ++i) {
    const unsigned bit = i < kPayloadBits ? (payload >> (31 - i)) & 1u : 0u;
    const unsigned reg = (bit << 6) | state;
    for (int g = 0; g < 3; ++g) out[3 * i + g] = parity(reg & kGenerators[g]);
    state = reg >> 1;
  }
  return out;
}

// Soft Viterbi: soft[i] > 0 favours coded bit 0. Maximises the correlation; the tail forces
// the end state to 0.
std::uint32_t viterbi_decode(const std::array<double, kCodedBits>& soft) {
  constexpr int kStates = 64, kSteps = kPayloadBits + kTail;
  constexpr double kNone = -1e300;
  std::array<double, kStates> metric;
  metric.fill(kNone);
  metric[0] = 0;
  std::vector<std::array<unsigned char, kStates>> from(kSteps);  // previous state of each survivor
  std::vector<std::array<unsigned char, kStates>> input(kSteps);
  for (int i = 0; i < kSteps; ++i) {
    std::array<double, kStates> next;
    next.fill(kNone);
    for (unsigned s = 0; s < kStates; ++s) {
      if (metric[s] == kNone) continue;
      for (unsigned bit = 0; bit < (i < kPayloadBits ? 2u : 1u); ++bit) {
        const unsigned reg = (bit << 6) | s, ns = reg >> 1;
        double m = metric[s];
        for (int g = 0; g < 3; ++g) m += parity(reg & kGenerators[g]) ? -soft[3 * i + g] : soft[3 * i + g];
        if (m > next[ns]) {
          next[ns] = m;
          from[i][ns] = static_cast<unsigned char>(s);
          input[i][ns] = static_cast<unsigned char>(bit);
        }
      }
    }
    metric = next;
  }
  std::uint32_t payload = 0;
  unsigned s = 0;
  for (int i = kSteps - 1; i >= 0; --i) {
    if (i < kPayloadBits && input[i][s]) payload |= 1u << (31 - i);
    s = from[i][s];
  }
  return payload;
}

// --- Spectral analysis: one sqrt-Hann frame at a time through the shared Stft (FFTW) ---

const Stft& frame_fft() {
  // Rectangular, unpadded, one frame: this file applies its own sqrt-Hann window. An Stft may
  // be used from several threads at once (see stft.hpp), and a function-local static is built once.
  static const Stft fft([] {
    StftConfig c;
    c.n_fft = kFrame;
    c.hop = kFrame;
    c.win_length = kFrame;
    c.window = Window::Rectangular;
    c.pad = 0;
    return c;
  }());
  return fft;
}

const std::vector<float>& sqrt_hann() {
  // sin(pi n / N): its square is the periodic Hann, which sums to 1 at 50% overlap, so analysis
  // and synthesis with it reconstruct perfectly.
  static const std::vector<float> w = [] {
    std::vector<float> v(kFrame);
    for (int i = 0; i < kFrame; ++i) v[i] = static_cast<float>(std::sin(M_PI * i / kFrame));
    return v;
  }();
  return w;
}

// The spectrum of the sqrt-Hann frame of x starting at `pos` (zeros past the end).
std::vector<std::complex<float>> frame_spectrum(const std::vector<float>& x, std::size_t pos) {
  const auto& w = sqrt_hann();
  float buf[kFrame];
  for (int i = 0; i < kFrame; ++i) buf[i] = pos + i < x.size() ? x[pos + i] * w[i] : 0.0f;
  return frame_fft().forward(buf, kFrame);
}

using GroupEnergies = std::array<float, kGroups>;

GroupEnergies group_energies(const std::vector<std::complex<float>>& spec) {
  GroupEnergies e{};
  for (int g = 0; g < kGroups; ++g)
    for (int b = 0; b < kGroupBins; ++b) e[g] += std::norm(spec[kFirstBin + g * kGroupBins + b]);
  return e;
}

// Where a block's 64 frames are in a frame sequence.
using FrameIndex = std::array<std::size_t, kFramesPerBlock>;

FrameIndex consecutive_frames(std::size_t first) {
  FrameIndex idx{};
  for (int f = 0; f < kFramesPerBlock; ++f) idx[f] = first + static_cast<std::size_t>(f);
  return idx;
}

// Per time slot, each group's energy summed over the slot's 4 frames.
using SlotEnergies = std::array<GroupEnergies, kSlots>;

SlotEnergies slot_energies(const std::vector<GroupEnergies>& frames, const FrameIndex& idx) {
  SlotEnergies out{};
  for (int slot = 0; slot < kSlots; ++slot)
    for (int q = 0; q < kTileFrames; ++q) {
      const GroupEnergies& e = frames[idx[slot * kTileFrames + q]];
      for (int g = 0; g < kGroups; ++g) out[slot][g] += e[g];
    }
  return out;
}

// r = ln(E_A / E_B) of every tile (tile = slot * kBands + band).
std::array<double, kTiles> tile_ratios(const SlotEnergies& e) {
  std::array<double, kTiles> r{};
  for (int slot = 0; slot < kSlots; ++slot)
    for (int band = 0; band < kBands; ++band)
      r[slot * kBands + band] = std::log((e[slot][2 * band] + kEnergyFloor) / (e[slot][2 * band + 1] + kEnergyFloor));
  return r;
}

// The fractional lattice position of r after the dither, in [0, 1): bit b sits at b/2.
double lattice_position(double r, double dither) {
  const double u = r / kStep - dither;
  return u - std::floor(u);
}

// --- Embedding at 16 kHz ---

std::array<int, kTiles> block_bits(const Layout& l, std::uint32_t payload) {
  const auto coded = conv_encode(payload);
  std::array<int, kTiles> bits{};
  for (int t = 0; t < kTiles; ++t) bits[t] = l.role[t] < 0 ? l.sync_bit[t] : coded[l.role[t]];
  return bits;
}

// The change of r that moves it to the nearest lattice point of `bit`: |c| <= kStep / 2.
double qim_change(double r, double dither, int bit) {
  const double u = r / kStep - dither - 0.5 * bit;
  return (std::round(u) - u) * kStep;
}

// Energies of a tile's two groups, summed over its 4 frames.
struct TileEnergy {
  double a = 0, b = 0;
};

std::array<TileEnergy, kTiles> tile_energies(const SlotEnergies& se) {
  std::array<TileEnergy, kTiles> e{};
  for (int slot = 0; slot < kSlots; ++slot)
    for (int band = 0; band < kBands; ++band) e[slot * kBands + band] = {se[slot][2 * band], se[slot][2 * band + 1]};
  return e;
}

// The least error energy (spectral units) of changing a tile's r by c: see tile_gains.
double change_cost(double c, const TileEnergy& e) {
  return 0.25 * c * c * (e.a + kEnergyFloor) * (e.b + kEnergyFloor) / (e.a + e.b + 2 * kEnergyFloor);
}

// The target r of every tile of one block, from the unmarked audio: the nearest lattice point
// of its bit, except that the block's total error energy is held to kBlockSnrDb below the block's
// energy by water-filling: the costliest (loudest) tiles move only part of the way, each capped
// at the same cost level lambda.
std::array<double, kTiles> block_targets(const std::array<double, kTiles>& r, const std::array<TileEnergy, kTiles>& e,
                                         double block_energy, const Layout& layout, const std::array<int, kTiles>& bits) {
  std::array<double, kTiles> change{}, cost{};
  double total = 0;
  for (int t = 0; t < kTiles; ++t) {
    change[t] = qim_change(r[t], layout.dither[t], bits[t]);
    cost[t] = change_cost(change[t], e[t]);
    total += cost[t];
  }
  const double budget = block_energy * std::pow(10.0, -kBlockSnrDb / 10);
  if (total > budget) {
    // Find lambda with sum(min(cost, lambda)) = budget: walk the costs in ascending order.
    std::array<double, kTiles> sorted = cost;
    std::sort(sorted.begin(), sorted.end());
    double below = 0, lambda = sorted.back();
    for (int i = 0; i < kTiles; ++i) {
      const double level = (budget - below) / (kTiles - i);  // lambda if tiles i.. are all capped
      if (level <= sorted[i]) {
        lambda = level;
        break;
      }
      below += sorted[i];
    }
    for (int t = 0; t < kTiles; ++t)
      if (cost[t] > lambda) change[t] *= std::sqrt(lambda / cost[t]);  // cost grows as c^2
  }
  std::array<double, kTiles> target{};
  for (int t = 0; t < kTiles; ++t) target[t] = r[t] + change[t];
  return target;
}

// Energy of a frame in the units of group_energies, over the whole spectrum (Parseval: interior
// bins of a real FFT count twice).
double frame_energy(const std::vector<std::complex<float>>& spec) {
  double e = 0;
  for (std::size_t k = 0; k < spec.size(); ++k) e += (k == 0 || k + 1 == spec.size() ? 1.0 : 2.0) * std::norm(spec[k]);
  return e;
}

// One correction pass over the whole signal: analyse, compute each tile's change toward its
// target, apply it as per-cell gains, add the overlap-added difference to x. `targets` is empty
// on the first pass, which sets the targets from the unmarked audio (block_targets); later
// passes correct toward the same targets, since overlap-add blurs each pass's changes.
void embed_pass(std::vector<float>& x, int blocks, const Layout& layout, const std::vector<std::array<int, kTiles>>& bits,
                std::vector<std::array<double, kTiles>>& targets) {
  const bool first_pass = targets.empty();
  const int frames = blocks * kFramesPerBlock;
  std::vector<std::vector<std::complex<float>>> spec(frames);
  std::vector<GroupEnergies> energies(frames);
  for (int t = 0; t < frames; ++t) {
    spec[t] = frame_spectrum(x, static_cast<std::size_t>(t) * kHop);
    energies[t] = group_energies(spec[t]);
  }
  // Log-magnitude gain per frame and group.
  std::vector<std::array<float, kGroups>> gain(frames, std::array<float, kGroups>{});
  for (int b = 0; b < blocks; ++b) {
    const std::size_t first = static_cast<std::size_t>(b) * kFramesPerBlock;
    const SlotEnergies se = slot_energies(energies, consecutive_frames(first));
    const auto r = tile_ratios(se);
    const auto e = tile_energies(se);
    if (first_pass) {
      double block_energy = 0;
      for (int f = 0; f < kFramesPerBlock; ++f) block_energy += frame_energy(spec[first + f]);
      // Error energy counts twice as well (the interior bins' mirror images).
      targets.push_back(block_targets(r, e, block_energy / 2, layout, bits[b]));
    }
    for (int tile = 0; tile < kTiles; ++tile) {
      const int slot = tile / kBands, band = tile % kBands;
      const double c = targets[b][tile] - r[tile];
      // r moves by 2*(alpha + beta) when A's magnitudes scale by e^alpha and B's by e^-beta.
      // The added error energy ~ E_A alpha^2 + E_B beta^2 is least when the change goes
      // mostly to the quieter group: alpha = c/2 * E_B/(E_A+E_B), beta = c/2 * E_A/(E_A+E_B).
      const double total = e[tile].a + e[tile].b + 2 * kEnergyFloor;
      const double alpha = 0.5 * c * (e[tile].b + kEnergyFloor) / total;
      const double beta = 0.5 * c * (e[tile].a + kEnergyFloor) / total;
      for (int q = 0; q < kTileFrames; ++q) {
        auto& g = gain[first + slot * kTileFrames + q];
        g[2 * band] = static_cast<float>(alpha);
        g[2 * band + 1] = static_cast<float>(-beta);
      }
    }
  }
  // Synthesis of the difference: sqrt-Hann windowed inverse of (G - 1) X, overlap-added.
  const auto& w = sqrt_hann();
  std::vector<float> delta(x.size(), 0.0f);
  std::vector<std::complex<float>> d(kFrame / 2 + 1);
  for (int t = 0; t < frames; ++t) {
    std::fill(d.begin(), d.end(), std::complex<float>{});
    for (int g = 0; g < kGroups; ++g)
      for (int k = 0; k < kGroupBins; ++k) {
        const int bin = kFirstBin + g * kGroupBins + k;
        d[bin] = (std::exp(gain[t][g]) - 1.0f) * spec[t][bin];
      }
    const std::vector<float> frame = frame_fft().inverse(d.data(), 1, kFrame);
    const std::size_t pos = static_cast<std::size_t>(t) * kHop;
    for (int i = 0; i < kFrame && pos + i < delta.size(); ++i) delta[pos + i] += frame[i] * w[i];
  }
  for (std::size_t i = 0; i < x.size(); ++i) x[i] += delta[i];
}

// The guarantee behind the SNR contract: if the passes together added more than the whole
// signal's energy minus kMinSnrDb (the per-block budget is an estimate), scale the difference down.
void limit_distortion(const std::vector<float>& in, std::vector<float>& x) {
  double signal = 0, error = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    signal += double(in[i]) * in[i];
    error += (double(x[i]) - in[i]) * (double(x[i]) - in[i]);
  }
  const double allowed = signal * std::pow(10.0, -kMinSnrDb / 10);
  if (error <= allowed) return;
  const double scale = std::sqrt(allowed / error);
  for (std::size_t i = 0; i < in.size(); ++i) x[i] = static_cast<float>(in[i] + scale * (double(x[i]) - in[i]));
}

std::vector<float> embed16(const std::vector<float>& in, const WatermarkKey& key, const WatermarkPayloads& payloads) {
  const int blocks = static_cast<int>(in.size() / kBlock);
  if (blocks == 0) return in;
  const Layout layout = make_layout(key);
  std::vector<std::array<int, kTiles>> bits(blocks);
  for (int b = 0; b < blocks; ++b) bits[b] = block_bits(layout, payloads(static_cast<std::size_t>(b)));
  // The last block's last frame reaches kHop samples past it: work on a copy long enough.
  std::vector<float> x(in);
  const std::size_t needed = static_cast<std::size_t>(blocks) * kBlock + kHop;
  const std::size_t original = x.size();
  if (x.size() < needed) x.resize(needed, 0.0f);
  std::vector<std::array<double, kTiles>> targets;
  for (int it = 0; it < kEmbedIterations; ++it) embed_pass(x, blocks, layout, bits, targets);
  x.resize(original);
  limit_distortion(in, x);
  return x;
}

// --- Detection at 16 kHz ---
//
// Frames every kSearchHop samples are analysed once. A hypothesis (time scale, frequency scale)
// says where an original block's frames and bins are in the audio searched: original frame f of
// a block starting at candidate c is the frame nearest to c + 2 f / time_scale (in half hops),
// original bin k is at k * freq_scale. The identity hypothesis is always tried.

struct Hypothesis {
  double time_scale = 1;  // > 1: the audio was made faster (shorter)
  double freq_scale = 1;  // > 1: frequencies went up (speed change by resampling)
};

// Power of bins 0..kSearchBins-1 of every half-hop frame; enough bins for a 1.15x frequency scale.
constexpr int kSearchBins = 150;
using BinPowers = std::array<float, kSearchBins>;

std::vector<BinPowers> search_frames(const std::vector<float>& x) {
  const std::size_t count = (x.size() + kSearchHop - 1) / kSearchHop;
  std::vector<BinPowers> frames(count);
  for (std::size_t i = 0; i < count; ++i) {
    const auto spec = frame_spectrum(x, i * kSearchHop);
    for (int k = 0; k < kSearchBins; ++k) frames[i][k] = std::norm(spec[k]);
  }
  return frames;
}

// Group energies under a frequency scale: original group g's band [lo, hi) in bins, moved by
// the scale; bins cut by a moved edge count in proportion to their overlap.
std::vector<GroupEnergies> scaled_groups(const std::vector<BinPowers>& frames, double freq_scale) {
  // weights[g] = (first bin, per-bin overlap fractions)
  std::vector<std::pair<int, std::vector<float>>> weights(kGroups);
  for (int g = 0; g < kGroups; ++g) {
    // Bin k spans [k - 0.5, k + 0.5); the original group spans bins first..first+3.
    const double lo = (kFirstBin + g * kGroupBins - 0.5) * freq_scale, hi = (kFirstBin + (g + 1) * kGroupBins - 0.5) * freq_scale;
    const int first = static_cast<int>(std::floor(lo + 0.5)), last = std::min(kSearchBins - 1, static_cast<int>(std::floor(hi + 0.5)));
    weights[g].first = first;
    for (int k = first; k <= last; ++k)
      weights[g].second.push_back(static_cast<float>(std::max(0.0, std::min(hi, k + 0.5) - std::max(lo, k - 0.5))));
  }
  std::vector<GroupEnergies> out(frames.size());
  for (std::size_t i = 0; i < frames.size(); ++i)
    for (int g = 0; g < kGroups; ++g)
      for (std::size_t j = 0; j < weights[g].second.size(); ++j)
        out[i][g] += weights[g].second[j] * frames[i][weights[g].first + static_cast<int>(j)];
  return out;
}

// Each group's noise floor: a low percentile of its per-frame energies over the whole search.
// Digital silence anywhere makes it 0, and then every tile weighs the same.
GroupEnergies noise_floor(const std::vector<GroupEnergies>& frames) {
  GroupEnergies floor{};
  if (frames.empty()) return floor;
  std::vector<float> v(frames.size());
  for (int g = 0; g < kGroups; ++g) {
    for (std::size_t i = 0; i < frames.size(); ++i) v[i] = frames[i][g];
    const std::size_t k = v.size() / 10;
    std::nth_element(v.begin(), v.begin() + k, v.end());
    floor[g] = v[k];
  }
  return floor;
}

// Tile weights: the expected agreement exp(-2 pi^2 var / step^2) of a tile whose statistic
// carries noise of variance var ~ kNoiseVar * (N_A/E_A + N_B/E_B). Weights depend on the audio
// only, never on the key, so under the null the weighted score keeps its bound (see sync_score).
std::array<double, kTiles> tile_weights(const SlotEnergies& e, const GroupEnergies& floor) {
  std::array<double, kTiles> w{};
  for (int slot = 0; slot < kSlots; ++slot)
    for (int band = 0; band < kBands; ++band) {
      const double na = kTileFrames * floor[2 * band], nb = kTileFrames * floor[2 * band + 1];
      const double var =
          kNoiseVar * (na / (e[slot][2 * band] + kEnergyFloor) + nb / (e[slot][2 * band + 1] + kEnergyFloor));
      w[slot * kBands + band] = std::exp(-2 * M_PI * M_PI * var / (kStep * kStep));
    }
  return w;
}

// The sync statistic z = S / sqrt(sum w^2 / 2), S = sum over sync tiles of w_i cos(2 pi (u_i - e_i)).
// Under the null each cosine is arcsine-distributed (uniform dither), independent of the others
// and of the weights, with E exp(t cos) = I0(t) <= exp(t^2/4): so P(z >= x) <= exp(-x^2/2).
double sync_score(const std::array<double, kTiles>& r, const std::array<double, kTiles>& w, const Layout& l) {
  double s = 0, w2 = 0;
  for (int t = 0; t < kTiles; ++t) {
    if (l.role[t] >= 0) continue;
    const double term = std::cos(2 * M_PI * lattice_position(r[t], l.dither[t]));
    s += w[t] * (l.sync_bit[t] ? -term : term);
    w2 += w[t] * w[t];
  }
  return w2 > 0 ? s / std::sqrt(w2 / 2) : 0.0;
}

std::uint32_t decode_payload(const std::array<double, kTiles>& r, const std::array<double, kTiles>& w, const Layout& l) {
  std::array<double, kCodedBits> soft{};
  for (int t = 0; t < kTiles; ++t)
    if (l.role[t] >= 0) soft[l.role[t]] = w[t] * std::cos(2 * M_PI * lattice_position(r[t], l.dither[t]));
  return viterbi_decode(soft);
}

// One hypothesis's view of the audio: its group energies and noise floor.
struct HypothesisView {
  Hypothesis h;
  std::vector<GroupEnergies> groups;
  GroupEnergies floor{};
  std::size_t candidates = 0;  // block starts c whose scaled block ends inside the audio

  FrameIndex frames_of(std::size_t c) const {
    FrameIndex idx{};
    for (int f = 0; f < kFramesPerBlock; ++f)
      idx[f] = std::min(groups.size() - 1, c + static_cast<std::size_t>(std::lround(kSearchPerHop * f / h.time_scale)));
    return idx;
  }
};

HypothesisView make_view(const std::vector<BinPowers>& frames, std::size_t samples, const Hypothesis& h) {
  HypothesisView v;
  v.h = h;
  v.groups = scaled_groups(frames, h.freq_scale);
  v.floor = noise_floor(v.groups);
  const double span = kBlock / h.time_scale;
  v.candidates = samples >= span ? static_cast<std::size_t>((samples - span) / kSearchHop) + 1 : 0;
  return v;
}

struct Candidate {
  double z = -1e300;
  std::size_t start = 0;  // in half hops
  std::size_t view = 0;   // the hypothesis
};

std::vector<Hypothesis> hypotheses(const WatermarkSearch& search) {
  std::vector<Hypothesis> out{{1.0, 1.0}};
  for (double t : search.tempo_factors)
    if (t != 1.0) out.push_back({t, 1.0});
  for (double s : search.speed_factors)
    if (s != 1.0) out.push_back({s, s});
  return out;
}

void check_search(const WatermarkSearch& search) {
  for (double f : search.tempo_factors)
    if (!(f >= 0.8 && f <= 1.25)) throw InvalidArgument("watermark search: tempo factors must be in [0.8, 1.25]");
  for (double f : search.speed_factors)
    if (!(f >= 0.87 && f <= 1.15)) throw InvalidArgument("watermark search: speed factors must be in [0.87, 1.15]");
}

void check_input(const Waveform& audio, int min_rate) {
  if (audio.rate < min_rate)
    throw InvalidArgument("watermark: sample rate must be at least " + std::to_string(min_rate) + " Hz, got " +
                          std::to_string(audio.rate));
  for (float v : audio.samples)
    if (!std::isfinite(v)) throw InvalidArgument("watermark: the audio has non-finite samples");
}

Waveform at16k(const Waveform& audio) { return audio.rate == kRate ? audio : resample(audio, kRate); }

}  // namespace

bool WatermarkDetection::found() const {
  return std::any_of(blocks.begin(), blocks.end(), [](const WatermarkBlock& b) { return b.found; });
}

double watermark_tail_bound(double z) { return z <= 0 ? 1.0 : std::exp(-0.5 * z * z); }

Waveform embed_watermark(const Waveform& audio, const WatermarkKey& key, const WatermarkPayloads& payloads) {
  check_input(audio, 8000);
  if (!payloads) throw InvalidArgument("watermark: no payload function");
  if (audio.rate == kRate) return Waveform{kRate, embed16(audio.samples, key, payloads)};
  // Other rates: mark a 16 kHz copy and add back only the difference, so content above 8 kHz
  // (and the exact original samples where nothing changed) stay untouched.
  const Waveform low = resample(audio, kRate);
  Waveform diff{kRate, embed16(low.samples, key, payloads)};
  for (std::size_t i = 0; i < diff.samples.size(); ++i) diff.samples[i] -= low.samples[i];
  Waveform back = resample(diff, audio.rate);
  back.samples.resize(audio.samples.size(), 0.0f);
  Waveform out = audio;
  for (std::size_t i = 0; i < out.samples.size(); ++i) out.samples[i] += back.samples[i];
  return out;
}

std::vector<double> watermark_candidate_scores(const Waveform& audio, const WatermarkKey& key) {
  check_input(audio, 1);
  const Waveform x = at16k(audio);
  const HypothesisView v = make_view(search_frames(x.samples), x.samples.size(), Hypothesis{});
  const Layout layout = make_layout(key);
  std::vector<double> z(v.candidates);
  for (std::size_t c = 0; c < v.candidates; ++c) {
    const SlotEnergies e = slot_energies(v.groups, v.frames_of(c));
    z[c] = sync_score(tile_ratios(e), tile_weights(e, v.floor), layout);
  }
  return z;
}

WatermarkSearch WatermarkSearch::wide() {
  WatermarkSearch s;
  for (int i = -9; i <= 9; ++i)
    if (i != 0) s.tempo_factors.push_back(1.0 + 0.0125 * i), s.speed_factors.push_back(1.0 + 0.0125 * i);
  return s;
}

WatermarkDetection detect_watermark(const Waveform& audio, const WatermarkKey& key, double max_false_positive) {
  return detect_watermark(audio, key, max_false_positive, WatermarkSearch{});
}

WatermarkDetection detect_watermark(const Waveform& audio, const WatermarkKey& key, double max_false_positive,
                                    const WatermarkSearch& search) {
  check_input(audio, 1);
  check_search(search);
  if (!(max_false_positive > 0 && max_false_positive <= 1))
    throw InvalidArgument("watermark: max_false_positive must be in (0, 1]");
  const Layout layout = make_layout(key);
  const Waveform x = at16k(audio);
  const auto frames = search_frames(x.samples);
  std::vector<HypothesisView> views;
  std::size_t most = 0;
  for (const Hypothesis& h : hypotheses(search)) {
    views.push_back(make_view(frames, x.samples.size(), h));
    most = std::max(most, views.back().candidates);
  }
  // Every start's best hypothesis, and how many tests were made at each start.
  std::vector<Candidate> at(most);
  std::vector<std::size_t> tests_before(most + 1, 0);  // prefix sums of tests per start
  for (std::size_t c = 0; c < most; ++c) {
    std::size_t tests = 0;
    for (std::size_t v = 0; v < views.size(); ++v) {
      if (c >= views[v].candidates) continue;
      const SlotEnergies e = slot_energies(views[v].groups, views[v].frames_of(c));
      const double z = sync_score(tile_ratios(e), tile_weights(e, views[v].floor), layout);
      ++tests;
      if (z > at[c].z) at[c] = {z, c, v};
    }
    tests_before[c + 1] = tests_before[c] + tests;
  }
  // The false-positive probability of a start: the bound times the tests made in the second of
  // starts around it (Bonferroni), so an unmarked second of audio passes with probability at
  // most max_false_positive.
  auto tests_in = [&](std::size_t lo, std::size_t hi) { return tests_before[std::min(hi, most)] - tests_before[lo]; };
  auto block_at = [&](std::size_t c, std::size_t tests) {
    const Candidate& k = at[c];
    const HypothesisView& view = views[k.view];
    WatermarkBlock b;
    b.start_seconds = static_cast<double>(c * kSearchHop) / kRate;
    b.score = k.z;
    b.false_positive_probability = std::min(1.0, static_cast<double>(tests) * watermark_tail_bound(k.z));
    b.found = b.false_positive_probability <= max_false_positive;
    b.time_scale = view.h.time_scale;
    b.freq_scale = view.h.freq_scale;
    if (b.found) {
      const SlotEnergies e = slot_energies(view.groups, view.frames_of(c));
      b.payload = decode_payload(tile_ratios(e), tile_weights(e, view.floor), layout);
    }
    return b;
  };
  constexpr std::size_t kHalf = kCandidatesPerBlock / 2;
  // Found blocks, strongest first; each rules out starts within 0.75 s of it, since the next
  // block starts at least 1 / 1.1125 s later even under the fastest hypothesis searched.
  constexpr std::size_t kSuppress = kCandidatesPerBlock * 3 / 4;
  std::vector<std::size_t> order(most);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return at[a].z > at[b].z; });
  std::vector<bool> taken(most, false);
  WatermarkDetection out;
  for (std::size_t c : order) {
    if (taken[c]) continue;
    const WatermarkBlock b = block_at(c, tests_in(c >= kHalf ? c - kHalf : 0, c + kHalf));
    if (!b.found) break;  // scores only fall from here
    out.blocks.push_back(b);
    for (std::size_t i = c >= kSuppress ? c - kSuppress : 0; i < std::min(most, c + kSuppress + 1); ++i) taken[i] = true;
  }
  // Each second of starts holding no found block gets a "not found" (unknown) report of its
  // best candidate.
  for (std::size_t first = 0; first < most; first += kCandidatesPerBlock) {
    const std::size_t last = std::min(most, first + kCandidatesPerBlock);
    const bool has_found = std::any_of(out.blocks.begin(), out.blocks.end(), [&](const WatermarkBlock& b) {
      const double c = b.start_seconds * kRate / kSearchHop;
      return b.found && c >= first && c < last;
    });
    if (has_found) continue;
    std::size_t best = first;
    for (std::size_t c = first; c < last; ++c)
      if (at[c].z > at[best].z) best = c;
    WatermarkBlock b = block_at(best, tests_in(first, last));
    if (b.found) b.found = false, b.payload = 0;  // can only happen next to a found block: already reported
    out.blocks.push_back(b);
  }
  std::sort(out.blocks.begin(), out.blocks.end(),
            [](const WatermarkBlock& a, const WatermarkBlock& b) { return a.start_seconds < b.start_seconds; });
  return out;
}

std::uint32_t watermark_payload(const WatermarkKey& key, const std::string& consent_id, const std::string& output_id,
                                std::uint64_t segment) {
  ensure_sodium();
  // Length-prefixed fields under a domain tag, so no two (consent, output, segment) triples
  // share an HMAC input.
  std::vector<unsigned char> msg;
  auto put_u64 = [&](std::uint64_t v) {
    for (int i = 0; i < 8; ++i) msg.push_back(static_cast<unsigned char>(v >> (8 * i)));
  };
  auto put_str = [&](const std::string& s) {
    put_u64(s.size());
    msg.insert(msg.end(), s.begin(), s.end());
  };
  put_str("dubkit watermark payload v1");
  put_str(consent_id);
  put_str(output_id);
  put_u64(segment);
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, key.bytes.data(), key.bytes.size());
  crypto_auth_hmacsha256_update(&st, msg.data(), msg.size());
  crypto_auth_hmacsha256_final(&st, mac);
  return (std::uint32_t{mac[0]} << 24) | (std::uint32_t{mac[1]} << 16) | (std::uint32_t{mac[2]} << 8) | mac[3];
}

WatermarkKey watermark_key_from_hex(const std::string& hex) {
  WatermarkKey key;
  std::size_t len = 0;
  if (hex.size() != 64 ||
      sodium_hex2bin(key.bytes.data(), key.bytes.size(), hex.c_str(), hex.size(), nullptr, &len, nullptr) != 0 ||
      len != key.bytes.size())
    throw InvalidArgument("watermark key must be 64 hex digits (32 bytes)");
  return key;
}

}  // namespace dubkit
