#include "corpus/perturb.hpp"

#include <rubberband/RubberBandStretcher.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "audio/resample.hpp"
#include "core/error.hpp"

namespace dubkit {

namespace {

// Rubber Band offline: study the whole input, then process it; output length is
// input * time_ratio.
std::vector<float> stretch(const std::vector<float>& in, int rate, double time_ratio, double pitch_scale) {
  using RB = RubberBand::RubberBandStretcher;
  RB rb(static_cast<std::size_t>(rate), 1,
        RB::OptionProcessOffline | RB::OptionFormantPreserved | RB::OptionThreadingNever | RB::OptionPitchHighQuality,
        time_ratio, pitch_scale);
  rb.setExpectedInputDuration(in.size());
  const float* ptr = in.data();
  rb.study(&ptr, in.size(), true);
  std::vector<float> out;
  out.reserve(static_cast<std::size_t>(in.size() * time_ratio) + 1024);
  std::vector<float> buf;
  auto drain = [&] {
    for (int avail = rb.available(); avail > 0; avail = rb.available()) {
      buf.resize(static_cast<std::size_t>(avail));
      float* b = buf.data();
      const std::size_t got = rb.retrieve(&b, buf.size());
      out.insert(out.end(), buf.begin(), buf.begin() + static_cast<long>(got));
    }
  };
  const std::size_t block = 4096;
  for (std::size_t pos = 0; pos < in.size(); pos += block) {
    const std::size_t n = std::min(block, in.size() - pos);
    const float* p = in.data() + pos;
    rb.process(&p, n, pos + n == in.size());
    drain();
  }
  drain();
  return out;
}

// Schroeder reverberator: four parallel feedback combs into two series all-passes.
void add_reverb(std::vector<float>& x, int rate, double wet, double room) {
  const double comb_ms[] = {29.7, 37.1, 41.1, 43.7}, allpass_ms[] = {5.0, 1.7};
  const double feedback = 0.6 + 0.3 * room;
  std::vector<float> acc(x.size(), 0.0f);
  for (double ms : comb_ms) {
    const std::size_t d = static_cast<std::size_t>(ms * rate / 1000.0);
    std::vector<float> y(x.size(), 0.0f);
    for (std::size_t n = 0; n < x.size(); ++n) y[n] = x[n] + (n >= d ? static_cast<float>(feedback) * y[n - d] : 0.0f);
    for (std::size_t n = 0; n < x.size(); ++n) acc[n] += 0.25f * y[n];
  }
  for (double ms : allpass_ms) {
    const std::size_t d = static_cast<std::size_t>(ms * rate / 1000.0);
    const float g = 0.7f;
    std::vector<float> y(acc.size(), 0.0f);
    for (std::size_t n = 0; n < acc.size(); ++n)
      y[n] = -g * acc[n] + (n >= d ? acc[n - d] + g * y[n - d] : 0.0f);
    acc.swap(y);
  }
  for (std::size_t n = 0; n < x.size(); ++n) x[n] += static_cast<float>(wet) * acc[n];
}

}  // namespace

std::uint64_t stable_hash(const std::string& s, std::uint64_t seed) {
  std::uint64_t h = 1469598103934665603ULL ^ (seed * 0x9E3779B97F4A7C15ULL);
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

VoicePerturbation perturbation_for(std::uint64_t seed, const std::string& speaker_id, int index) {
  VoicePerturbation p;
  if (index == 0) return p;
  std::mt19937_64 rng(stable_hash(speaker_id, seed));
  auto uniform = [&](double lo, double hi) { return lo + (hi - lo) * std::generate_canonical<double, 53>(rng); };
  p.pitch = std::pow(2.0, uniform(-4, 4) / 12.0);
  p.formant = uniform(0.88, 1.14);
  p.rate = uniform(0.85, 1.2);
  p.tilt = uniform(-0.4, 0.4);
  const bool reverberant = uniform(0, 1) < 0.6;
  p.reverb = reverberant ? uniform(0.05, 0.3) : 0.0;
  p.room = uniform(0, 1);
  return p;
}

Waveform apply_perturbation(const Waveform& in, const VoicePerturbation& p, int out_rate, double peak,
                            std::vector<PhoneSpan>& phones) {
  if (in.rate <= 0 || in.samples.empty()) throw InvalidArgument("perturbation: empty input audio");
  if (p.pitch <= 0 || p.formant <= 0 || p.rate <= 0) throw InvalidArgument("perturbation: ratios must be positive");
  // Declaring the audio to be at rate*formant and resampling to out_rate moves every
  // frequency by `formant` and the duration by 1/formant.
  Waveform warped{static_cast<int>(std::lround(in.rate * p.formant)), in.samples};
  Waveform out = resample(warped, out_rate);
  const double time_ratio = p.formant / p.rate, pitch_scale = p.pitch / p.formant;
  if (std::abs(time_ratio - 1) > 1e-6 || std::abs(pitch_scale - 1) > 1e-6)
    out.samples = stretch(out.samples, out_rate, time_ratio, pitch_scale);
  if (p.tilt != 0) {
    float prev = 0;
    for (float& x : out.samples) {
      const float cur = x;
      x = cur - static_cast<float>(p.tilt) * prev;
      prev = cur;
    }
  }
  if (p.reverb > 0) add_reverb(out.samples, out_rate, p.reverb, p.room);
  float top = 0;
  for (float x : out.samples) top = std::max(top, std::abs(x));
  if (top > 0)
    for (float& x : out.samples) x *= static_cast<float>(peak / top);
  const double length = out.seconds(), scale = (double(in.rate) * p.formant / std::lround(in.rate * p.formant)) / p.rate;
  for (PhoneSpan& ph : phones) {
    ph.start = std::min(length, ph.start * scale);
    ph.end = std::min(length, ph.end * scale);
  }
  if (!phones.empty()) phones.back().end = length;
  return out;
}

}  // namespace dubkit
