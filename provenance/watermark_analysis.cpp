// The audio watermark's analysis: audio to sqrt-Hann frames, frames to group energies, groups to
// the tile statistics r the marks live on.
#include <cmath>
#include <string>

#include "audio/resample.hpp"
#include "audio/stft.hpp"
#include "core/error.hpp"
#include "provenance/watermark_scheme.hpp"

namespace dubkit::watermark_scheme {
namespace {

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

}  // namespace

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

std::vector<std::complex<float>> frame_spectrum(const std::vector<float>& x, std::size_t pos) {
  const auto& w = sqrt_hann();
  float buf[kFrame];
  for (int i = 0; i < kFrame; ++i) buf[i] = pos + i < x.size() ? x[pos + i] * w[i] : 0.0f;
  return frame_fft().forward(buf, kFrame);
}

std::vector<float> frame_inverse(const std::complex<float>* bins) { return frame_fft().inverse(bins, 1, kFrame); }

GroupEnergies group_energies(const std::vector<std::complex<float>>& spec) {
  GroupEnergies e{};
  for (int g = 0; g < kGroups; ++g)
    for (int b = 0; b < kGroupBins; ++b) e[g] += std::norm(spec[kFirstBin + g * kGroupBins + b]);
  return e;
}

FrameIndex consecutive_frames(std::size_t first) {
  FrameIndex idx{};
  for (int f = 0; f < kFramesPerBlock; ++f) idx[f] = first + static_cast<std::size_t>(f);
  return idx;
}

SlotEnergies slot_energies(const std::vector<GroupEnergies>& frames, const FrameIndex& idx, Shape shape) {
  SlotEnergies out{};
  const int per_slot = tile_frames(shape);
  for (int slot = 0; slot < kSlots; ++slot)
    for (int q = 0; q < per_slot; ++q) {
      const GroupEnergies& e = frames[idx[slot * per_slot + q]];
      for (int g = 0; g < kGroups; ++g) out[slot][g] += e[g];
    }
  return out;
}

std::array<double, kTiles> tile_ratios(const SlotEnergies& e) {
  std::array<double, kTiles> r{};
  for (int slot = 0; slot < kSlots; ++slot)
    for (int band = 0; band < kBands; ++band)
      r[slot * kBands + band] = std::log((e[slot][2 * band] + kEnergyFloor) / (e[slot][2 * band + 1] + kEnergyFloor));
  return r;
}

double lattice_position(double r, double dither) {
  const double u = r / kStep - dither;
  return u - std::floor(u);
}

void check_input(const Waveform& audio, int min_rate) {
  if (audio.rate < min_rate)
    throw InvalidArgument("watermark: sample rate must be at least " + std::to_string(min_rate) + " Hz, got " +
                          std::to_string(audio.rate));
  for (float v : audio.samples)
    if (!std::isfinite(v)) throw InvalidArgument("watermark: the audio has non-finite samples");
}

Waveform at16k(const Waveform& audio) { return audio.rate == kRate ? audio : resample(audio, kRate); }

}  // namespace dubkit::watermark_scheme
