// The watermark's attack suite and its evaluation: see watermark_robustness.hpp.
#include "provenance/watermark_robustness.hpp"

#include <rubberband/RubberBandStretcher.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

#include "audio/resample.hpp"
#include "core/error.hpp"
#include "video/audio_codec.hpp"

namespace dubkit {

namespace {

// The rates the suite runs at: from the telephone band to the highest a delivery format uses.
constexpr int kMinRate = 8000, kMaxRate = 96000;

void check_rate(const Waveform& a, const char* what) {
  if (a.rate < kMinRate || a.rate > kMaxRate)
    throw InvalidArgument(std::string(what) + ": the attacks take audio at 8-96 kHz, got " + std::to_string(a.rate) + " Hz");
}

double power(const std::vector<float>& x) {
  double s = 0;
  for (float v : x) s += double(v) * v;
  return x.empty() ? 0 : s / x.size();
}

// A direct-form-I biquad (RBJ cookbook coefficients).
struct Biquad {
  double b0, b1, b2, a1, a2;
  double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
  float run(float in) {
    const double y = b0 * in + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
    x2 = x1, x1 = in, y2 = y1, y1 = y;
    return static_cast<float>(y);
  }
};

Biquad make_biquad(bool lowpass, double cutoff, double rate, double q) {
  const double w = 2 * M_PI * cutoff / rate, cw = std::cos(w), alpha = std::sin(w) / (2 * q);
  const double a0 = 1 + alpha;
  Biquad f{};
  if (lowpass) {
    f.b0 = (1 - cw) / 2 / a0, f.b1 = (1 - cw) / a0, f.b2 = (1 - cw) / 2 / a0;
  } else {
    f.b0 = (1 + cw) / 2 / a0, f.b1 = -(1 + cw) / a0, f.b2 = (1 + cw) / 2 / a0;
  }
  f.a1 = -2 * cw / a0, f.a2 = (1 - alpha) / a0;
  return f;
}

// An 8th-order Butterworth filter as 4 biquads with the Butterworth pole Qs.
Waveform butterworth(const Waveform& audio, bool lowpass, double cutoff) {
  if (!(cutoff > 0 && cutoff < audio.rate / 2.0)) throw InvalidArgument("filter cutoff outside (0, Nyquist)");
  constexpr int kOrder = 8;
  std::vector<Biquad> stages;
  for (int k = 0; k < kOrder / 2; ++k)
    stages.push_back(make_biquad(lowpass, cutoff, audio.rate, 1.0 / (2 * std::cos(M_PI * (2 * k + 1) / (2.0 * kOrder)))));
  Waveform out = audio;
  for (float& v : out.samples)
    for (auto& s : stages) v = s.run(v);
  return out;
}

// One harmonic note: partials with 1/h amplitudes, a fast attack and an exponential decay.
void add_note(std::vector<float>& out, int rate, std::size_t start, double seconds, double f0, double amp) {
  const std::size_t len = static_cast<std::size_t>(seconds * rate);
  for (std::size_t i = 0; i < len && start + i < out.size(); ++i) {
    const double t = double(i) / rate;
    const double env = std::min(1.0, t / 0.01) * std::exp(-2.5 * t);
    double s = 0;
    for (int h = 1; h <= 6 && f0 * h < rate / 2.0; ++h) s += std::sin(2 * M_PI * f0 * h * t) / h;
    out[start + i] += static_cast<float>(amp * env * s);
  }
}

WatermarkKey random_key(std::mt19937_64& rng) {
  WatermarkKey k;
  for (auto& b : k.bytes) b = static_cast<unsigned char>(rng() & 0xff);
  return k;
}

double gaussian_tail(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

Waveform deliver(const Waveform& audio, WatermarkDelivery how) {
  if (how == WatermarkDelivery::aac128) return lossy_round_trip(audio, LossyCodec::Aac, 128000);
  Waveform out = audio;  // 16-bit PCM: rounded to steps of 1/32768, clipped
  for (float& v : out.samples) v = static_cast<float>(std::clamp(std::lround(double(v) * 32768.0), -32768L, 32767L) / 32768.0);
  return out;
}

}  // namespace

Waveform attack_resample(const Waveform& audio, int via_rate) {
  check_rate(audio, "resample attack");
  Waveform out = resample(resample(audio, via_rate), audio.rate);
  out.samples.resize(audio.samples.size(), 0.0f);
  return out;
}

Waveform attack_lossy(const Waveform& audio, bool mp3, int bit_rate) {
  check_rate(audio, "codec attack");
  return lossy_round_trip(audio, mp3 ? LossyCodec::Mp3 : LossyCodec::Aac, bit_rate);
}

Waveform attack_white_noise(const Waveform& audio, double snr_db, std::uint64_t seed) {
  check_rate(audio, "noise attack");
  const double sigma = std::sqrt(power(audio.samples) / std::pow(10.0, snr_db / 10));
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n(0.0, sigma);
  Waveform out = audio;
  for (float& v : out.samples) v += static_cast<float>(n(rng));
  return out;
}

AttackedAudio attack_gain(const Waveform& audio, double db) {
  check_rate(audio, "gain attack");
  AttackedAudio a{audio};
  const float g = static_cast<float>(std::pow(10.0, db / 20));
  for (float& v : a.audio.samples) {
    v *= g;
    if (std::fabs(v) > 1.0f) v = std::copysign(1.0f, v), ++a.clipped;
  }
  return a;
}

Waveform attack_lowpass(const Waveform& audio, double cutoff_hz) {
  check_rate(audio, "low-pass attack");
  return butterworth(audio, true, cutoff_hz);
}

Waveform attack_highpass(const Waveform& audio, double cutoff_hz) {
  check_rate(audio, "high-pass attack");
  return butterworth(audio, false, cutoff_hz);
}

AttackedAudio attack_crop(const Waveform& audio, double seconds, std::uint64_t seed) {
  check_rate(audio, "crop attack");
  const std::size_t len = std::min(audio.samples.size(), static_cast<std::size_t>(seconds * audio.rate));
  std::mt19937_64 rng(seed);
  const std::size_t start = audio.samples.size() > len ? rng() % (audio.samples.size() - len + 1) : 0;
  AttackedAudio a;
  a.audio = Waveform{audio.rate, std::vector<float>(audio.samples.begin() + start, audio.samples.begin() + start + len)};
  a.offset_seconds = double(start) / audio.rate;
  return a;
}

Waveform synthetic_music(double seconds, int rate, std::uint64_t seed) {
  if (rate <= 0 || !(seconds > 0)) throw InvalidArgument("synthetic music: bad rate or duration");
  std::mt19937_64 rng(seed);
  std::vector<float> out(static_cast<std::size_t>(seconds * rate), 0.0f);
  // A I-V-vi-IV style progression in a random key: chord roots in semitones above the tonic.
  const double tonic = 196.0 * std::pow(2.0, (rng() % 7) / 12.0);
  const int roots[4] = {0, 7, 9, 5};
  const double beat = 0.25 + 0.1 * (rng() % 3);  // seconds
  std::uniform_real_distribution<double> u(0, 1);
  for (std::size_t bar = 0; bar * 4 * beat < seconds; ++bar) {
    const int root = roots[bar % 4];
    const bool minor = root == 9;
    const int third = minor ? 3 : 4;
    const std::size_t start = static_cast<std::size_t>(bar * 4 * beat * rate);
    for (int interval : {0, third, 7})
      add_note(out, rate, start, 4 * beat, tonic * std::pow(2.0, (root + interval) / 12.0), 0.12);
    for (int b = 0; b < 4; ++b) {  // bass on every beat, a noise-burst "hat" on the off-beats
      const std::size_t at = start + static_cast<std::size_t>(b * beat * rate);
      add_note(out, rate, at, beat, tonic / 2 * std::pow(2.0, root / 12.0), 0.15);
      const std::size_t hat = at + static_cast<std::size_t>(beat / 2 * rate);
      for (std::size_t i = 0; i < static_cast<std::size_t>(0.04 * rate) && hat + i < out.size(); ++i)
        out[hat + i] += static_cast<float>(0.08 * (2 * u(rng) - 1) * std::exp(-double(i) / (0.008 * rate)));
    }
  }
  float peak = 1e-9f;
  for (float v : out) peak = std::max(peak, std::fabs(v));
  for (float& v : out) v *= 0.5f / peak;
  return Waveform{rate, std::move(out)};
}

Waveform attack_mix_music(const Waveform& audio, double music_db, std::uint64_t seed) {
  check_rate(audio, "music attack");
  Waveform music = synthetic_music(std::max(audio.seconds(), 0.1), audio.rate, seed);
  music.samples.resize(audio.samples.size(), 0.0f);
  const double scale = std::sqrt(power(audio.samples) / std::max(power(music.samples), 1e-20) * std::pow(10.0, music_db / 10));
  Waveform out = audio;
  for (std::size_t i = 0; i < out.samples.size(); ++i) out.samples[i] += static_cast<float>(scale * music.samples[i]);
  return out;
}

AttackedAudio attack_speed(const Waveform& audio, double factor) {
  check_rate(audio, "speed attack");
  if (!(factor > 0.25 && factor < 4)) throw InvalidArgument("speed factor outside (0.25, 4)");
  // Played back `factor` times faster: the same samples taken as a faster rate, brought back.
  const int as_rate = static_cast<int>(std::lround(audio.rate * factor));
  AttackedAudio a;
  a.audio = resample(Waveform{as_rate, audio.samples}, audio.rate);
  a.time_scale = double(as_rate) / audio.rate;
  return a;
}

AttackedAudio attack_time_stretch(const Waveform& audio, double factor) {
  check_rate(audio, "time-stretch attack");
  if (!(factor > 0.25 && factor < 4)) throw InvalidArgument("tempo factor outside (0.25, 4)");
  using RB = RubberBand::RubberBandStretcher;
  RB rb(static_cast<std::size_t>(audio.rate), 1, RB::OptionProcessOffline, 1.0 / factor, 1.0);
  const float* in[1] = {audio.samples.data()};
  rb.setExpectedInputDuration(audio.samples.size());
  rb.study(in, audio.samples.size(), true);
  rb.process(in, audio.samples.size(), true);
  AttackedAudio a;
  a.audio.rate = audio.rate;
  for (;;) {
    const int avail = rb.available();
    if (avail < 0) break;  // finished
    if (avail == 0) continue;
    std::vector<float> chunk(static_cast<std::size_t>(avail));
    float* out[1] = {chunk.data()};
    const std::size_t got = rb.retrieve(out, chunk.size());
    a.audio.samples.insert(a.audio.samples.end(), chunk.begin(), chunk.begin() + got);
  }
  a.time_scale = factor;
  return a;
}

std::vector<WatermarkAttack> standard_watermark_attacks() {
  auto plain = [](std::function<Waveform(const Waveform&, std::uint64_t)> f) {
    return [f](const Waveform& w, std::uint64_t seed) { return AttackedAudio{f(w, seed)}; };
  };
  return {
      {"none", plain([](const Waveform& w, std::uint64_t) { return w; })},
      {"resample via 44.1 kHz", plain([](const Waveform& w, std::uint64_t) { return attack_resample(w, 44100); })},
      {"MP3 64 kbit/s", plain([](const Waveform& w, std::uint64_t) { return attack_lossy(w, true, 64000); })},
      {"AAC 64 kbit/s", plain([](const Waveform& w, std::uint64_t) { return attack_lossy(w, false, 64000); })},
      {"white noise 20 dB SNR", plain([](const Waveform& w, std::uint64_t s) { return attack_white_noise(w, 20, s); })},
      {"gain +6 dB", [](const Waveform& w, std::uint64_t) { return attack_gain(w, 6); }},
      {"gain -6 dB", [](const Waveform& w, std::uint64_t) { return attack_gain(w, -6); }},
      {"low-pass 5 kHz", plain([](const Waveform& w, std::uint64_t) { return attack_lowpass(w, 5000); })},
      {"high-pass 300 Hz", plain([](const Waveform& w, std::uint64_t) { return attack_highpass(w, 300); })},
      {"crop random 3 s", [](const Waveform& w, std::uint64_t s) { return attack_crop(w, 3.0, s); }},
      {"music at -10 dB", plain([](const Waveform& w, std::uint64_t s) { return attack_mix_music(w, -10, s); })},
      {"speed 0.9x (resampling)", [](const Waveform& w, std::uint64_t) { return attack_speed(w, 0.9); }},
      {"speed 1.1x (resampling)", [](const Waveform& w, std::uint64_t) { return attack_speed(w, 1.1); }},
      {"time stretch 0.95x (Rubber Band)", [](const Waveform& w, std::uint64_t) { return attack_time_stretch(w, 0.95); }},
      {"time stretch 1.05x (Rubber Band)", [](const Waveform& w, std::uint64_t) { return attack_time_stretch(w, 1.05); }},
      // Extras beyond the list: where the noise cliff is, and a speed between the scale
      // search's grid points (0.0125 apart), so the grid is not flattered by the listed factors.
      {"extra: white noise 30 dB SNR", plain([](const Waveform& w, std::uint64_t s) { return attack_white_noise(w, 30, s); })},
      {"extra: speed 1.06x (off the search grid)", [](const Waveform& w, std::uint64_t) { return attack_speed(w, 1.06); }},
  };
}

double NullTail::empirical() const { return tests ? double(exceed) / tests : 0; }

namespace {

// Original blocks wholly inside the attacked audio (20 ms of slack for resampler edges). Block k
// starts at k seconds; all are one second long but a last half block.
std::set<std::size_t> expected_blocks(const AttackedAudio& a, std::size_t blocks, std::size_t whole) {
  const double first = a.offset_seconds, last = a.offset_seconds + a.audio.seconds() * a.time_scale;
  std::set<std::size_t> expected;
  for (std::size_t k = 0; k < blocks; ++k)
    if (k + 0.02 >= first && k + (k < whole ? 1.0 : 0.5) <= last + 0.02) expected.insert(k);
  return expected;
}

// Scores one detection of an attacked marked file against its payloads.
void score_marked(DetectionTally& s, const AttackedAudio& a, const WatermarkDetection& det,
                  const std::vector<std::uint32_t>& payloads, std::size_t whole) {
  const std::set<std::size_t> expected = expected_blocks(a, payloads.size(), whole);
  std::set<std::size_t> seen;
  for (const auto& b : det.blocks) {
    if (!b.found) continue;
    const long k = std::lround(a.offset_seconds + b.start_seconds * a.time_scale);
    if (k < 0 || !expected.count(static_cast<std::size_t>(k)) || seen.count(static_cast<std::size_t>(k))) {
      ++s.stray_detections;
      continue;
    }
    seen.insert(static_cast<std::size_t>(k));
    ++s.detected_blocks;
    const int wrong = __builtin_popcount(b.payload ^ payloads[static_cast<std::size_t>(k)]);
    s.payload_bits_right += static_cast<std::size_t>(32 - wrong);
    if (wrong == 0) ++s.exact_payloads;
  }
}

void score_unmarked(DetectionTally& s, const WatermarkDetection& det) {
  s.unmarked_blocks += det.blocks.size();
  for (const auto& b : det.blocks) s.false_positives += b.found ? 1 : 0;
}

NullCheck make_null_check(const std::string& condition, const std::vector<double>& z) {
  NullCheck c;
  c.condition = condition;
  c.tests = z.size();
  double sum = 0, sq = 0;
  c.max = z.empty() ? 0 : *std::max_element(z.begin(), z.end());
  for (double v : z) sum += v, sq += v * v;
  if (!z.empty()) c.mean = sum / z.size(), c.variance = sq / z.size() - c.mean * c.mean;
  for (double threshold : {2.3263478740, 3.0902323062, 3.7190164855}) {  // N(0,1) tails 1e-2, 1e-3, 1e-4
    NullTail t;
    t.threshold = threshold;
    t.gaussian = gaussian_tail(threshold);
    t.bound = watermark_tail_bound(threshold);
    t.tests = z.size();
    t.exceed = static_cast<std::size_t>(std::count_if(z.begin(), z.end(), [&](double v) { return v >= threshold; }));
    c.tails.push_back(t);
  }
  return c;
}

}  // namespace

RobustnessReport evaluate_watermark_robustness(const std::vector<Waveform>& speech, const RobustnessOptions& options) {
  if (speech.empty()) throw InvalidArgument("robustness evaluation needs at least one speech file");
  if (options.rate < kMinRate || options.rate > kMaxRate)
    throw InvalidArgument("robustness: --rate must be 8000-96000 Hz, got " + std::to_string(options.rate));
  std::vector<WatermarkAttack> attacks;
  for (auto& a : standard_watermark_attacks())
    if (options.attacks.empty() || std::any_of(options.attacks.begin(), options.attacks.end(), [&](const std::string& part) {
          return a.name.find(part) != std::string::npos;
        }))
      attacks.push_back(std::move(a));
  if (attacks.empty()) throw InvalidArgument("robustness: no attack's name contains any of the --attacks given");
  const WatermarkSearch wide = WatermarkSearch::wide();
  RobustnessReport report;
  report.files = speech.size();
  report.max_false_positive = options.max_false_positive;
  report.rate = options.rate;
  report.delivery = options.delivery;
  for (const auto& at : attacks) {
    AttackScore score;
    score.name = at.name;
    report.attacks.push_back(score);
  }
  std::mt19937_64 rng(options.seed);
  std::vector<double> null_unmarked, null_wrong_key;
  double snr_sum = 0;
  report.snr_min_db = INFINITY;
  for (std::size_t f = 0; f < speech.size(); ++f) {
    const Waveform clean = speech[f].rate == options.rate ? speech[f] : resample(speech[f], options.rate);
    const WatermarkKey key = random_key(rng);
    const std::size_t whole = clean.samples.size() / static_cast<std::size_t>(options.rate);
    std::vector<std::uint32_t> payloads(watermark_block_count(clean.samples.size(), options.rate));
    for (auto& p : payloads) p = static_cast<std::uint32_t>(rng());
    report.marked_blocks += payloads.size();
    const Waveform marked = embed_watermark(clean, key, [&](std::size_t b) { return payloads.at(b); });
    const Waveform sent = deliver(marked, options.delivery), sent_clean = deliver(clean, options.delivery);
    double err = 0;
    for (std::size_t i = 0; i < clean.samples.size(); ++i) err += std::pow(double(marked.samples[i]) - clean.samples[i], 2);
    const double snr = 10 * std::log10(power(clean.samples) * clean.samples.size() / std::max(err, 1e-30));
    snr_sum += snr;
    report.snr_min_db = std::min(report.snr_min_db, snr);
    for (std::size_t i = 0; i < attacks.size(); ++i) {
      const std::uint64_t seed = rng();
      const AttackedAudio a = attacks[i].apply(sent, seed);
      AttackScore& score = report.attacks[i];
      score.expected_blocks += expected_blocks(a, payloads.size(), whole).size();
      score.clipped_samples += a.clipped;
      score_marked(score.plain, a, detect_watermark(a.audio, key, options.max_false_positive), payloads, whole);
      score_marked(score.scaled, a, detect_watermark(a.audio, key, options.max_false_positive, wide), payloads, whole);
      // The same attack on the unmarked original: nothing may be found there.
      const AttackedAudio u = attacks[i].apply(sent_clean, seed);
      score_unmarked(score.plain, detect_watermark(u.audio, key, options.max_false_positive));
      score_unmarked(score.scaled, detect_watermark(u.audio, key, options.max_false_positive, wide));
    }
    for (int k = 0; k < options.null_keys; ++k) {
      const WatermarkKey other = random_key(rng);
      for (double z : watermark_candidate_scores(clean, other)) null_unmarked.push_back(z);
      for (double z : watermark_candidate_scores(marked, other)) null_wrong_key.push_back(z);
    }
    if (options.progress)
      options.progress("file " + std::to_string(f + 1) + "/" + std::to_string(speech.size()) + ": " +
                       std::to_string(payloads.size()) + " blocks, SNR " + std::to_string(snr) + " dB");
  }
  report.snr_mean_db = snr_sum / speech.size();
  report.null_checks.push_back(make_null_check("unmarked speech, random keys", null_unmarked));
  report.null_checks.push_back(make_null_check("marked speech, wrong (random) keys", null_wrong_key));
  return report;
}

}  // namespace dubkit
