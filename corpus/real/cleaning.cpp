#include "corpus/real/cleaning.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "audio/level.hpp"
#include "audio/resample.hpp"
#include "audio/stft.hpp"
#include "audio/vad.hpp"
#include "core/error.hpp"

namespace dubkit {

namespace {

double db(double ratio) { return 10.0 * std::log10(std::max(ratio, 1e-12)); }

std::string measured(double value, const char* unit, const char* relation, double limit) {
  std::ostringstream s;
  s.precision(4);
  s << value << unit << ' ' << relation << ' ' << limit << unit;
  return s.str();
}

}  // namespace

void CleaningRules::validate() const {
  auto need = [](bool ok, const char* field) {
    if (!ok) throw InvalidArgument(std::string("cleaning rule '") + field + "' is out of range");
  };
  need(max_rate_hz >= 16000, "max_rate_hz");
  need(clip_level > 0 && clip_level <= 1, "clip_level");
  need(max_clipped_fraction >= 0 && max_clipped_fraction < 1, "max_clipped_fraction");
  need(min_speech_seconds >= 0, "min_speech_seconds");
  need(margin_seconds >= 0, "margin_seconds");
  need(peak_dbfs <= 0, "peak_dbfs");
  need(max_phone_rate_ratio > 1, "max_phone_rate_ratio");
}

double high_band_db(const Waveform& wave) {
  if (wave.rate != 16000) throw InvalidArgument("high_band_db expects 16 kHz audio, got " + std::to_string(wave.rate));
  StftConfig c;
  c.n_fft = c.win_length = 512;
  c.hop = 256;
  c.pad = 0;
  c.cover_tail = true;
  const Stft stft(c);
  const int split = c.n_fft * 4000 / 16000;  // the first bin at 4 kHz
  double high = 0, all = 0;
  stft.for_each_power(wave.samples.data(), wave.samples.size(), [&](int, const float* p) {
    for (int k = 1; k < c.bins(); ++k) {
      all += p[k];
      if (k >= split) high += p[k];
    }
  });
  return all > 0 ? db(high / all) : -120.0;
}

ClipCheck check_clip(const Waveform& native, const CleaningRules& r) {
  ClipCheck out;
  out.source_rate = native.rate;
  if (native.rate > r.max_rate_hz || native.rate < 8000) {
    out.rejected = "rate";
    out.detail = "header rate " + std::to_string(native.rate) + " Hz";
    return out;
  }
  if (native.samples.empty()) {
    out.rejected = "silence";
    out.detail = "no samples";
    return out;
  }
  std::size_t clipped = 0;
  for (const float s : native.samples) clipped += std::fabs(s) >= r.clip_level;
  out.clipped_fraction = double(clipped) / double(native.samples.size());
  if (out.clipped_fraction > r.max_clipped_fraction) {
    out.rejected = "clipping";
    out.detail = measured(out.clipped_fraction * 100, "% of samples", ">", r.max_clipped_fraction * 100);
    return out;
  }

  Waveform wave = native.rate == 16000 ? native : resample(native, 16000);
  const SpeechRegions regions = detect_speech(wave);
  if (regions.segments.empty() || regions.speech_seconds < r.min_speech_seconds) {
    out.rejected = "silence";
    out.detail = measured(regions.speech_seconds, " s of speech", "<", r.min_speech_seconds);
    return out;
  }
  double energy = 0;
  std::size_t n = 0;
  for (const auto& [b, e] : regions.segments)
    for (std::size_t i = b; i < e; ++i, ++n) energy += double(wave.samples[i]) * wave.samples[i];
  out.speech_dbfs = db(energy / double(std::max<std::size_t>(n, 1)));
  if (out.speech_dbfs < r.min_speech_dbfs) {
    out.rejected = "level";
    out.detail = measured(out.speech_dbfs, " dBFS", "<", r.min_speech_dbfs);
    return out;
  }
  out.high_band_db = high_band_db(wave);
  if (out.high_band_db < r.min_high_band_db) {
    out.rejected = "band-limited";
    out.detail = measured(out.high_band_db, " dB above 4 kHz", "<", r.min_high_band_db);
    return out;
  }

  const auto margin = static_cast<std::size_t>(std::lround(r.margin_seconds * wave.rate));
  const std::size_t begin = regions.segments.front().first > margin ? regions.segments.front().first - margin : 0;
  const std::size_t end = std::min(wave.samples.size(), regions.segments.back().second + margin);
  out.trimmed_seconds = double(wave.samples.size() - (end - begin)) / wave.rate;
  out.speech.rate = wave.rate;
  out.speech.samples.assign(wave.samples.begin() + static_cast<long>(begin), wave.samples.begin() + static_cast<long>(end));
  out.begin_seconds = double(begin) / wave.rate;
  const float top = peak(out.speech);
  out.gain = top > 0 ? static_cast<float>(std::pow(10.0, r.peak_dbfs / 20.0) / top) : 1.0f;
  for (float& s : out.speech.samples) s *= out.gain;
  return out;
}

Waveform kept_span_at(const Waveform& native, const ClipCheck& check, int rate) {
  if (!check.rejected.empty()) throw InvalidArgument("kept_span_at: the recording was rejected (" + check.rejected + ")");
  const Waveform whole = native.rate == rate ? native : resample(native, rate);
  const auto begin = std::min(whole.samples.size(), static_cast<std::size_t>(std::lround(check.begin_seconds * rate)));
  const auto n = static_cast<std::size_t>(std::lround(check.speech.seconds() * rate));
  Waveform out{rate, {}};
  out.samples.assign(whole.samples.begin() + static_cast<long>(begin),
                     whole.samples.begin() + static_cast<long>(std::min(whole.samples.size(), begin + n)));
  for (float& s : out.samples) s = std::clamp(s * check.gain, -1.0f, 1.0f);
  return out;
}

std::uint64_t audio_hash(const Waveform& wave) {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a, 64 bit
  auto mix = [&h](std::uint64_t byte) {
    h ^= byte;
    h *= 1099511628211ull;
  };
  for (int shift = 0; shift < 32; shift += 8) mix((static_cast<std::uint32_t>(wave.rate) >> shift) & 0xff);
  for (const float s : wave.samples) {
    const auto q = static_cast<std::uint16_t>(static_cast<std::int16_t>(std::lround(std::clamp(s, -1.0f, 1.0f) * 32767.0f)));
    mix(q & 0xff);
    mix(q >> 8);
  }
  return h;
}

std::vector<std::size_t> phone_rate_outliers(const std::vector<double>& seconds_per_phone, double max_ratio) {
  std::vector<double> judged;
  for (const double v : seconds_per_phone)
    if (v > 0) judged.push_back(v);
  std::vector<std::size_t> out;
  if (judged.empty()) return out;
  std::nth_element(judged.begin(), judged.begin() + static_cast<long>(judged.size() / 2), judged.end());
  const double median = judged[judged.size() / 2];
  for (std::size_t i = 0; i < seconds_per_phone.size(); ++i) {
    const double v = seconds_per_phone[i];
    if (v > 0 && (v > median * max_ratio || v < median / max_ratio)) out.push_back(i);
  }
  return out;
}

}  // namespace dubkit
