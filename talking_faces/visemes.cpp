#include "talking_faces/visemes.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>

#include "core/error.hpp"

namespace dubkit {
namespace {

constexpr double kSigma = 0.030;      // coarticulation kernel, seconds
constexpr double kRamp = 0.040;       // lip closure ramps around /m b p/, /f v/
constexpr double kLongPause = 0.150;  // pauses this long close the mouth completely
constexpr double kPi = 3.14159265358979323846;

enum class Lips { Free, Closed, Tucked };  // constraints kept however short the phone

struct Target {
  MouthShape shape;
  Lips lips = Lips::Free;
};

const MouthShape kRest{0, 0, 0.3, 0};     // closed, relaxed: a long pause
const MouthShape kBreath{0.12, 0, 0, 0};  // a short pause: lips slightly apart
const MouthShape kNeutral{0.5, 0, 0, 0};  // an unknown phone

Target vowel(double open, double spread) { return {{open, spread, 0, 0}, Lips::Free}; }

// Articulatory targets for the phones of flite's US set and espeak-ng's English, Spanish and
// German: jaw opening, lip spread/rounding, closure.
const std::map<std::string, Target>& targets() {
  static const std::map<std::string, Target> table = [] {
    std::map<std::string, Target> t;
    for (const char* p : {"m", "b", "p"}) t[p] = {{0, 0, 1, 0}, Lips::Closed};
    for (const char* p : {"f", "v", "ɱ"}) t[p] = {{0.12, 0.1, 0, 1}, Lips::Tucked};
    t["β"] = {{0.08, 0, 0.6, 0}, Lips::Free};  // Spanish b between vowels: lips near, not shut
    for (const char* p : {"θ", "ð"}) t[p] = vowel(0.22, 0.1);
    for (const char* p : {"s", "z"}) t[p] = vowel(0.12, 0.5);
    for (const char* p : {"ʃ", "ʒ", "tʃ", "dʒ"}) t[p] = vowel(0.2, -0.6);
    for (const char* p : {"t", "d", "n", "l", "ɫ", "ɾ", "r", "ts"}) t[p] = vowel(0.25, 0.2);
    for (const char* p : {"k", "ɡ", "g", "ŋ", "x", "ɣ", "ç", "ʔ"}) t[p] = vowel(0.3, 0.1);
    for (const char* p : {"ɲ", "ʎ"}) t[p] = vowel(0.22, 0.3);
    for (const char* p : {"ɹ", "ʁ"}) t[p] = vowel(0.22, -0.45);
    for (const char* p : {"j", "ʝ"}) t[p] = vowel(0.2, 0.6);
    t["h"] = vowel(0.45, 0);
    t["w"] = vowel(0.12, -1);
    t["i"] = vowel(0.18, 0.9);
    t["ɪ"] = vowel(0.3, 0.6);
    t["e"] = vowel(0.4, 0.6);
    t["ɛ"] = vowel(0.55, 0.45);
    t["æ"] = vowel(0.75, 0.45);
    t["a"] = vowel(0.85, 0.2);
    t["ɑ"] = vowel(0.95, 0.1);
    t["ɒ"] = vowel(0.85, -0.3);
    t["ʌ"] = vowel(0.6, 0.1);
    t["ə"] = vowel(0.4, 0.05);
    t["ɐ"] = vowel(0.55, 0.05);
    t["ɜ"] = vowel(0.4, -0.1);
    t["ɚ"] = vowel(0.35, -0.35);
    t["ɔ"] = vowel(0.65, -0.6);
    t["o"] = vowel(0.45, -0.75);
    t["ʊ"] = vowel(0.3, -0.7);
    t["u"] = vowel(0.18, -1);
    t["y"] = vowel(0.18, -0.9);
    t["ʏ"] = vowel(0.28, -0.7);
    t["ø"] = vowel(0.35, -0.75);
    t["œ"] = vowel(0.5, -0.55);
    t["ᵻ"] = vowel(0.3, 0.4);
    t["ɨ"] = vowel(0.25, 0.3);
    return t;
  }();
  return table;
}

// Marks that change nothing visible: stress, length, syllabic, aspiration, tie bars.
bool is_mark(const std::string& s, std::size_t i, std::size_t& len) {
  static const char* marks[] = {"ˈ", "ˌ", "ː", "ˑ", "\u0329", "ʰ", "\u0361", "\u035C", "\u0303", "ʲ"};
  for (const char* m : marks) {
    const std::size_t n = std::char_traits<char>::length(m);
    if (s.compare(i, n, m) == 0) {
      len = n;
      return true;
    }
  }
  return false;
}

std::size_t utf8_length(unsigned char lead) { return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4; }

// A phone's targets in order: one for most, two for diphthongs ("aɪ" -> a, ɪ) and clusters
// ("pf"), found by longest match so that affricates like "tʃ" stay one target.
std::vector<Target> phone_targets(const std::string& ipa) {
  if (ipa.empty() || ipa == "_") return {{kRest, Lips::Free}};
  std::string clean;
  for (std::size_t i = 0, len = 0; i < ipa.size(); i += len) {
    if (!is_mark(ipa, i, len)) {
      len = std::min(utf8_length(static_cast<unsigned char>(ipa[i])), ipa.size() - i);
      clean.append(ipa, i, len);
    }
  }
  const auto& table = targets();
  std::vector<Target> out;
  for (std::size_t i = 0; i < clean.size();) {
    std::size_t best = 0;
    for (const auto& [key, target] : table)
      if (key.size() > best && clean.compare(i, key.size(), key) == 0) best = key.size();
    if (best == 0) return {{kNeutral, Lips::Free}};
    out.push_back(table.at(clean.substr(i, best)));
    i += best;
  }
  if (out.empty()) return {{kRest, Lips::Free}};
  return out;
}

struct Segment {
  double start, end;  // seconds; +-infinity for the silence around the utterance
  Target target;
};

void check(const std::vector<TimedPhone>& phones) {
  for (std::size_t i = 0; i < phones.size(); ++i) {
    const auto& p = phones[i];
    const std::string name = "phone " + std::to_string(i) + " \"" + p.ipa + "\"";
    if (!std::isfinite(p.start) || !std::isfinite(p.end) || p.end < p.start)
      throw InvalidArgument("mouth_at: " + name + " has an invalid span [" + std::to_string(p.start) + ", " +
                            std::to_string(p.end) + "]");
    if (i > 0 && p.start < phones[i - 1].end - 1e-6)
      throw InvalidArgument("mouth_at: " + name + " starts at " + std::to_string(p.start) +
                            " before the previous phone ends (" + std::to_string(phones[i - 1].end) + ")");
  }
}

bool is_pause(const std::string& ipa) { return ipa.empty() || ipa == "_"; }

// The timeline of targets: pauses and gaps merged and classified by length, phones with
// several targets split (the first part of a diphthong a little longer).
std::vector<Segment> timeline(const std::vector<TimedPhone>& phones) {
  check(phones);
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<Segment> out;
  double pause_start = -inf;  // start of the pause in progress; NaN when none
  const auto close_pause = [&](double end) {
    if (std::isnan(pause_start) || end <= pause_start) return;
    const bool long_pause = end - pause_start >= kLongPause;
    out.push_back({pause_start, end, {long_pause ? kRest : kBreath, Lips::Free}});
  };
  double cursor = -inf;
  for (const auto& p : phones) {
    if (is_pause(p.ipa)) {
      if (std::isnan(pause_start)) pause_start = p.start;
      cursor = p.end;
      continue;
    }
    if (p.start > cursor && std::isnan(pause_start)) pause_start = cursor;  // a gap is a pause
    close_pause(p.start);
    pause_start = std::numeric_limits<double>::quiet_NaN();
    const std::vector<Target> parts = phone_targets(p.ipa);
    const double d = p.end - p.start;
    double t = p.start;
    for (std::size_t k = 0; k < parts.size(); ++k) {
      const double share = parts.size() == 2 ? (k == 0 ? 0.6 : 0.4) : 1.0 / parts.size();
      const double end = k + 1 == parts.size() ? p.end : t + share * d;
      out.push_back({t, end, parts[k]});
      t = end;
    }
    cursor = p.end;
  }
  if (std::isnan(pause_start)) pause_start = cursor;
  close_pause(inf);
  return out;
}

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }
double smoothstep(double x) {
  x = std::clamp(x, 0.0, 1.0);
  return x * x * (3 - 2 * x);
}

MouthShape sample(const std::vector<Segment>& segments, double t) {
  MouthShape m;
  for (const auto& s : segments) {
    if (s.end < t - 6 * kSigma || s.start > t + 6 * kSigma) continue;
    const double w = normal_cdf((s.end - t) / kSigma) - normal_cdf((s.start - t) / kSigma);
    m.open += w * s.target.shape.open;
    m.spread += w * s.target.shape.spread;
    m.lip_contact += w * s.target.shape.lip_contact;
    m.lower_lip_tuck += w * s.target.shape.lower_lip_tuck;
  }
  for (const auto& s : segments) {
    if (s.target.lips == Lips::Free) continue;
    const double distance = t < s.start ? s.start - t : t > s.end ? t - s.end : 0.0;
    const double w = smoothstep(1 - distance / kRamp);
    if (w <= 0) continue;
    if (s.target.lips == Lips::Closed) {
      m.open *= 1 - w;
      m.lip_contact += (1 - m.lip_contact) * w;
      m.lower_lip_tuck *= 1 - w;
    } else {
      m.open += (std::min(m.open, s.target.shape.open) - m.open) * w;
      m.lower_lip_tuck += (1 - m.lower_lip_tuck) * w;
    }
  }
  return m;
}

std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// A uniform number in [0, 1) from (seed, key, index).
double hash01(std::uint64_t seed, std::uint64_t key, std::int64_t index) {
  const std::uint64_t h =
      mix64(seed * 0x9E3779B97F4A7C15ull + mix64(key * 0xD1B54A32D192ED03ull + static_cast<std::uint64_t>(index)));
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

// A smooth random signal of unit peak amplitude: three sinusoids of 0.05-0.6 Hz.
double drift(std::uint64_t seed, std::uint64_t key, double t) {
  double v = 0, norm = 0;
  for (int k = 0; k < 3; ++k) {
    const double f = 0.05 + 0.55 * hash01(seed, key, 3 * k), phase = 2 * kPi * hash01(seed, key, 3 * k + 1);
    const double a = 0.5 + hash01(seed, key, 3 * k + 2);
    v += a * std::sin(2 * kPi * f * t + phase);
    norm += a;
  }
  return v / norm;
}

}  // namespace

MouthShape viseme(const std::string& ipa) { return phone_targets(ipa).front().shape; }

MouthShape mouth_at(const std::vector<TimedPhone>& phones, double t) { return sample(timeline(phones), t); }

std::vector<MouthShape> mouth_track(const std::vector<TimedPhone>& phones, double fps, int frames) {
  if (!(fps > 0) || !std::isfinite(fps))
    throw InvalidArgument("mouth_track: fps " + std::to_string(fps) + " is not positive");
  if (frames < 0) throw InvalidArgument("mouth_track: frame count " + std::to_string(frames) + " is negative");
  const std::vector<Segment> segments = timeline(phones);
  std::vector<MouthShape> out;
  out.reserve(static_cast<std::size_t>(frames));
  for (int i = 0; i < frames; ++i) out.push_back(sample(segments, i / fps));
  return out;
}

HeadPose head_motion_at(std::uint64_t seed, double t) {
  HeadPose p;
  p.yaw = 3.0 * drift(seed, 1, t);
  p.pitch = 2.0 * drift(seed, 2, t);
  p.roll = 2.0 * drift(seed, 3, t);
  p.dx = 5.0 * drift(seed, 4, t);
  p.dy = 4.0 * drift(seed, 5, t);
  p.scale = 1 + 0.02 * drift(seed, 6, t);
  // One blink in each 4 s window, starting 1-3 s into it: blinks come 2-6 s apart.
  const double window = std::floor(t / 4);
  const double start = 4 * window + 1 + 2 * hash01(seed, 7, static_cast<std::int64_t>(window));
  const double since = t - start;
  if (since >= 0 && since < 0.15)
    p.blink = since < 0.05 ? smoothstep(since / 0.05) : smoothstep(1 - (since - 0.05) / 0.1);
  return p;
}

}  // namespace dubkit
