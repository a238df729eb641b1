// The audio watermark's detector: every candidate block start (and, on request, time and
// frequency scales) scored by its sync tiles against a false-positive bound, payloads decoded
// from the blocks found.
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <numeric>

#include "core/error.hpp"
#include "provenance/watermark.hpp"
#include "provenance/watermark_scheme.hpp"

namespace dubkit {

using namespace watermark_scheme;  // the scheme's geometry and analysis are this file's vocabulary

namespace {

// Variance of r per unit of noise-to-signal ratio in a tile, for the detection weights. Tuned on
// 8 corpus files (0, 0.05, 0.3, 1.0 tried; 0.05 best for MP3, crop and music); any value keeps
// the false-positive bound, since weights never depend on the key.
constexpr double kNoiseVar = 0.05;

// --- Detection at 16 kHz ---
//
// Frames every kSearchHop samples are analysed once. A hypothesis (time scale, frequency scale)
// says where an original block's frames and bins are in the audio searched: original frame f of
// a block starting at candidate c is the frame nearest to c + 2 f / time_scale (in half hops),
// original bin k is at k * freq_scale. The identity hypothesis is always tried.

struct Hypothesis {
  double time_scale = 1;  // > 1: the audio was made faster (shorter)
  double freq_scale = 1;  // > 1: frequencies went up (speed change by resampling)
  Shape shape = Shape::whole;
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

// Each group's noise floor: a low percentile of its per-frame energies over the whole search, but
// never under kMinFloorDb below the group's mean. Digital silence (a dub's pauses) would make the
// percentile 0, and silent tiles, which carry no mark, would then weigh as much as speech: half a
// second of it in a block left the sync found and the payload wrong.
constexpr double kMinFloorDb = 40;

GroupEnergies noise_floor(const std::vector<GroupEnergies>& frames) {
  GroupEnergies floor{};
  if (frames.empty()) return floor;
  std::vector<float> v(frames.size());
  for (int g = 0; g < kGroups; ++g) {
    double mean = 0;
    for (std::size_t i = 0; i < frames.size(); ++i) v[i] = frames[i][g], mean += v[i];
    mean /= frames.size();
    const std::size_t k = v.size() / 10;
    std::nth_element(v.begin(), v.begin() + k, v.end());
    floor[g] = std::max(v[k], static_cast<float>(mean * std::pow(10.0, -kMinFloorDb / 10)));
  }
  return floor;
}

// Tile weights: the expected agreement exp(-2 pi^2 var / step^2) of a tile whose statistic
// carries noise of variance var ~ kNoiseVar * (N_A/E_A + N_B/E_B). Weights depend on the audio
// only, never on the key, so under the null the weighted score keeps its bound (see sync_score).
std::array<double, kTiles> tile_weights(const SlotEnergies& e, const GroupEnergies& floor, Shape shape) {
  std::array<double, kTiles> w{};
  const int per_slot = tile_frames(shape);
  for (int slot = 0; slot < kSlots; ++slot)
    for (int band = 0; band < kBands; ++band) {
      const double na = per_slot * floor[2 * band], nb = per_slot * floor[2 * band + 1];
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

// One hypothesis's view of the audio: its group energies and noise floor (shared by the views
// of one frequency scale), its layout.
struct HypothesisView {
  Hypothesis h;
  std::shared_ptr<const std::vector<GroupEnergies>> groups;
  GroupEnergies floor{};
  const Layout* layout = nullptr;
  std::size_t candidates = 0;  // block starts c whose scaled block ends inside the audio

  FrameIndex frames_of(std::size_t c) const {
    FrameIndex idx{};
    for (int f = 0; f < block_frames(h.shape); ++f)
      idx[f] = std::min(groups->size() - 1, c + static_cast<std::size_t>(std::lround(kSearchPerHop * f / h.time_scale)));
    return idx;
  }
  // The sync score z at start c, and the tile statistics and weights behind it.
  double score(std::size_t c, std::array<double, kTiles>* r = nullptr, std::array<double, kTiles>* w = nullptr) const {
    const SlotEnergies e = slot_energies(*groups, frames_of(c), h.shape);
    std::array<double, kTiles> ratios = tile_ratios(e), weights = tile_weights(e, floor, h.shape);
    if (r) *r = ratios;
    if (w) *w = weights;
    return sync_score(ratios, weights, *layout);
  }
  double seconds() const { return block_samples(h.shape) / (kRate * h.time_scale); }  // the block's length in the audio
};

HypothesisView make_view(std::shared_ptr<const std::vector<GroupEnergies>> groups, std::size_t samples, const Hypothesis& h,
                         const Layout& layout) {
  HypothesisView v;
  v.h = h;
  v.groups = std::move(groups);
  v.floor = noise_floor(*v.groups);
  v.layout = &layout;
  const double span = block_samples(h.shape) / h.time_scale;
  v.candidates = samples >= span ? static_cast<std::size_t>((samples - span) / kSearchHop) + 1 : 0;
  return v;
}

// The candidate grid is kSearchHop samples; a block starting between two grid points is seen up
// to half a step off, which costs a half block (2-frame slots) payload bits. For decoding, the
// start is refined in steps of kRefineStep around the grid point, at the identity hypothesis
// (the found decision stays the grid's, so the false-positive control is untouched).
constexpr int kRefineStep = 8;

struct Refined {
  double z = -1e300;
  long offset = 0;  // samples from the grid point
  std::array<double, kTiles> r{}, w{};
};

// `start`: the grid point, in samples.
Refined refine(const std::vector<float>& x, std::size_t start, const HypothesisView& view) {
  Refined best;
  for (long d = -kSearchHop / 2; d <= kSearchHop / 2; d += kRefineStep) {
    if (d < 0 && static_cast<std::size_t>(-d) > start) continue;
    const std::size_t pos = static_cast<std::size_t>(static_cast<long>(start) + d);
    std::vector<GroupEnergies> frames(static_cast<std::size_t>(block_frames(view.h.shape)));
    for (std::size_t f = 0; f < frames.size(); ++f) frames[f] = group_energies(frame_spectrum(x, pos + f * kHop));
    const SlotEnergies e = slot_energies(frames, consecutive_frames(0), view.h.shape);
    Refined r;
    r.r = tile_ratios(e);
    r.w = tile_weights(e, view.floor, view.h.shape);
    r.z = sync_score(r.r, r.w, *view.layout);
    r.offset = d;
    if (r.z > best.z) best = r;
  }
  return best;
}

struct Candidate {
  double z = -1e300;
  std::size_t start = 0;  // in half hops
  std::size_t view = 0;   // the hypothesis
};

// The half block is searched at the identity only: it marks short clips, which a scale search
// would cost many tests for little.
std::vector<Hypothesis> hypotheses(const WatermarkSearch& search) {
  std::vector<Hypothesis> out{{1.0, 1.0, Shape::whole}, {1.0, 1.0, Shape::half}};
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

}  // namespace

bool WatermarkDetection::found() const {
  return std::any_of(blocks.begin(), blocks.end(), [](const WatermarkBlock& b) { return b.found; });
}

double watermark_tail_bound(double z) { return z <= 0 ? 1.0 : std::exp(-0.5 * z * z); }

std::vector<double> watermark_candidate_scores(const Waveform& audio, const WatermarkKey& key) {
  check_input(audio, 1);
  const Waveform x = at16k(audio);
  auto groups = std::make_shared<const std::vector<GroupEnergies>>(scaled_groups(search_frames(x.samples), 1.0));
  std::vector<double> z;
  for (Shape shape : {Shape::whole, Shape::half}) {
    const Layout layout = make_layout(key, shape);
    const HypothesisView v = make_view(groups, x.samples.size(), Hypothesis{1.0, 1.0, shape}, layout);
    for (std::size_t c = 0; c < v.candidates; ++c) z.push_back(v.score(c));
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
  const Layout layouts[2] = {make_layout(key, Shape::whole), make_layout(key, Shape::half)};
  const Waveform x = at16k(audio);
  const auto frames = search_frames(x.samples);
  std::vector<HypothesisView> views;
  std::map<double, std::shared_ptr<const std::vector<GroupEnergies>>> groups;  // per frequency scale
  std::size_t most = 0;
  for (const Hypothesis& h : hypotheses(search)) {
    auto& g = groups[h.freq_scale];
    if (!g) g = std::make_shared<const std::vector<GroupEnergies>>(scaled_groups(frames, h.freq_scale));
    views.push_back(make_view(g, x.samples.size(), h, layouts[h.shape == Shape::whole ? 0 : 1]));
    most = std::max(most, views.back().candidates);
  }
  // Every start's best hypothesis, and how many tests were made at each start.
  std::vector<Candidate> at(most);
  std::vector<std::size_t> tests_before(most + 1, 0);  // prefix sums of tests per start
  for (std::size_t c = 0; c < most; ++c) {
    std::size_t tests = 0;
    for (std::size_t v = 0; v < views.size(); ++v) {
      if (c >= views[v].candidates) continue;
      const double z = views[v].score(c);
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
    b.seconds = block_samples(view.h.shape) / static_cast<double>(kRate);
    b.time_scale = view.h.time_scale;
    b.freq_scale = view.h.freq_scale;
    if (b.found && view.h.time_scale == 1 && view.h.freq_scale == 1) {
      const Refined r = refine(x.samples, c * kSearchHop, view);
      b.payload = decode_payload(r.r, r.w, *view.layout);
      b.start_seconds = static_cast<double>(static_cast<long>(c * kSearchHop) + r.offset) / kRate;
    } else if (b.found) {
      std::array<double, kTiles> r{}, w{};
      view.score(c, &r, &w);
      b.payload = decode_payload(r, w, *view.layout);
    }
    return b;
  };
  constexpr std::size_t kHalf = kCandidatesPerBlock / 2;
  // Found blocks, strongest first; each rules out the starts whose blocks would overlap it by
  // more than a quarter of the shorter of the two (for two whole blocks: starts within 0.75 s,
  // since the next block starts at least 1 / 1.1125 s later even under the fastest hypothesis).
  std::vector<std::size_t> order(most);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return at[a].z > at[b].z; });
  std::vector<bool> taken(most, false);
  auto length_at = [&](std::size_t c) { return views[at[c].view].seconds() * kRate / kSearchHop; };  // in starts
  WatermarkDetection out;
  for (std::size_t c : order) {
    if (taken[c]) continue;
    const WatermarkBlock b = block_at(c, tests_in(c >= kHalf ? c - kHalf : 0, c + kHalf));
    if (!b.found) break;  // scores only fall from here
    out.blocks.push_back(b);
    const double len = length_at(c);
    const std::size_t reach = static_cast<std::size_t>(std::ceil(len));
    for (std::size_t i = c >= reach ? c - reach : 0; i < std::min(most, c + reach + 1); ++i) {
      const double other = length_at(i);
      const double lo = std::max<double>(c, i), hi = std::min(c + len, i + other);
      if (hi - lo > 0.25 * std::min(len, other)) taken[i] = true;
    }
  }
  // Each second of starts holding no found block gets a "not found" (unknown) report of its
  // best candidate.
  for (std::size_t first = 0; first < most; first += kCandidatesPerBlock) {
    const std::size_t last = std::min(most, first + kCandidatesPerBlock);
    const bool has_found = std::any_of(out.blocks.begin(), out.blocks.end(), [&](const WatermarkBlock& b) {
      // The grid point: a refined start lies within half a step of it.
      const auto c = static_cast<std::size_t>(std::max(0L, std::lround(b.start_seconds * kRate / kSearchHop)));
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

}  // namespace dubkit
