// The audio watermark's embedder: QIM on each tile's r, toward the bits of the block's payload
// and the sync pattern, within the distortion budget.
#include <algorithm>
#include <cmath>
#include <complex>

#include "audio/resample.hpp"
#include "core/error.hpp"
#include "provenance/watermark.hpp"
#include "provenance/watermark_scheme.hpp"

namespace dubkit {

using namespace watermark_scheme;  // the scheme's geometry and analysis are this file's vocabulary

namespace {

constexpr int kEmbedIterations = 4;  // re-analyse and correct: overlap-add blurs each change
// The error budget per block, dB below the block's energy; above the 35 dB required, since the
// later passes add about 1.5 dB to the first pass's estimate.
constexpr double kBlockSnrDb = 37.5;
constexpr double kMinSnrDb = 35.5;  // enforced over the whole signal (limit_distortion)

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

// One block to mark: where its frames start, its shape and layout, the bits of its tiles.
struct PlannedBlock {
  std::size_t first_frame = 0;
  Shape shape = Shape::whole;
  const Layout* layout = nullptr;
  std::array<int, kTiles> bits{};
};

// One correction pass over the whole signal: analyse, compute each tile's change toward its
// target, apply it as per-cell gains, add the overlap-added difference to x. `targets` is empty
// on the first pass, which sets the targets from the unmarked audio (block_targets); later
// passes correct toward the same targets, since overlap-add blurs each pass's changes.
void embed_pass(std::vector<float>& x, std::size_t frames, const std::vector<PlannedBlock>& blocks,
                std::vector<std::array<double, kTiles>>& targets) {
  const bool first_pass = targets.empty();
  std::vector<std::vector<std::complex<float>>> spec(frames);
  std::vector<GroupEnergies> energies(frames);
  for (std::size_t t = 0; t < frames; ++t) {
    spec[t] = frame_spectrum(x, t * kHop);
    energies[t] = group_energies(spec[t]);
  }
  // Log-magnitude gain per frame and group.
  std::vector<std::array<float, kGroups>> gain(frames, std::array<float, kGroups>{});
  for (std::size_t b = 0; b < blocks.size(); ++b) {
    const PlannedBlock& block = blocks[b];
    const std::size_t first = block.first_frame;
    const int per_slot = tile_frames(block.shape);
    const SlotEnergies se = slot_energies(energies, consecutive_frames(first), block.shape);
    const auto r = tile_ratios(se);
    const auto e = tile_energies(se);
    if (first_pass) {
      double block_energy = 0;
      for (int f = 0; f < block_frames(block.shape); ++f) block_energy += frame_energy(spec[first + f]);
      // Error energy counts twice as well (the interior bins' mirror images).
      targets.push_back(block_targets(r, e, block_energy / 2, *block.layout, block.bits));
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
      for (int q = 0; q < per_slot; ++q) {
        auto& g = gain[first + slot * per_slot + q];
        g[2 * band] = static_cast<float>(alpha);
        g[2 * band + 1] = static_cast<float>(-beta);
      }
    }
  }
  // Synthesis of the difference: sqrt-Hann windowed inverse of (G - 1) X, overlap-added.
  const auto& w = sqrt_hann();
  std::vector<float> delta(x.size(), 0.0f);
  std::vector<std::complex<float>> d(kFrame / 2 + 1);
  for (std::size_t t = 0; t < frames; ++t) {
    std::fill(d.begin(), d.end(), std::complex<float>{});
    for (int g = 0; g < kGroups; ++g)
      for (int k = 0; k < kGroupBins; ++k) {
        const int bin = kFirstBin + g * kGroupBins + k;
        d[bin] = (std::exp(gain[t][g]) - 1.0f) * spec[t][bin];
      }
    const std::vector<float> frame = frame_inverse(d.data());
    const std::size_t pos = t * kHop;
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

// Marks `whole` one-second blocks and, when `half`, a half-second block after them.
std::vector<float> embed16(const std::vector<float>& in, std::size_t whole, bool half, const WatermarkKey& key,
                           const WatermarkPayloads& payloads) {
  if (whole == 0 && !half) return in;
  const Layout whole_layout = make_layout(key, Shape::whole), half_layout = make_layout(key, Shape::half);
  std::vector<PlannedBlock> blocks;
  std::size_t frames = 0;
  for (std::size_t b = 0; b < whole + (half ? 1 : 0); ++b) {
    PlannedBlock p;
    p.first_frame = frames;
    p.shape = b < whole ? Shape::whole : Shape::half;
    p.layout = b < whole ? &whole_layout : &half_layout;
    p.bits = block_bits(*p.layout, payloads(b));
    frames += static_cast<std::size_t>(block_frames(p.shape));
    blocks.push_back(p);
  }
  // The last block's last frame reaches kHop samples past it, and a resampled tail may be a
  // sample short: work on a copy long enough.
  std::vector<float> x(in);
  const std::size_t needed = frames * kHop + kHop;
  const std::size_t original = x.size();
  if (x.size() < needed) x.resize(needed, 0.0f);
  std::vector<std::array<double, kTiles>> targets;
  for (int it = 0; it < kEmbedIterations; ++it) embed_pass(x, frames, blocks, targets);
  x.resize(original);
  limit_distortion(in, x);
  return x;
}

}  // namespace

std::size_t watermark_block_count(std::size_t samples, int rate) {
  if (rate <= 0) throw InvalidArgument("watermark: sample rate must be positive");
  const std::size_t second = static_cast<std::size_t>(rate), whole = samples / second;
  return whole + (2 * (samples - whole * second) >= second ? 1 : 0);
}

Waveform embed_watermark(const Waveform& audio, const WatermarkKey& key, const WatermarkPayloads& payloads) {
  check_input(audio, 8000);
  if (!payloads) throw InvalidArgument("watermark: no payload function");
  // The blocks are counted at the input's rate, so the caller's count (watermark_block_count)
  // is the one embedded whatever the resampler's rounding.
  const std::size_t whole = audio.samples.size() / static_cast<std::size_t>(audio.rate);
  const bool half = watermark_block_count(audio.samples.size(), audio.rate) > whole;
  if (audio.rate == kRate) return Waveform{kRate, embed16(audio.samples, whole, half, key, payloads)};
  // Other rates: mark a 16 kHz copy and add back only the difference, so content above 8 kHz
  // (and the exact original samples where nothing changed) stay untouched.
  const Waveform low = resample(audio, kRate);
  Waveform diff{kRate, embed16(low.samples, whole, half, key, payloads)};
  for (std::size_t i = 0; i < diff.samples.size(); ++i) diff.samples[i] -= low.samples[i];
  Waveform back = resample(diff, audio.rate);
  back.samples.resize(audio.samples.size(), 0.0f);
  Waveform out = audio;
  for (std::size_t i = 0; i < out.samples.size(); ++i) out.samples[i] += back.samples[i];
  return out;
}

}  // namespace dubkit
