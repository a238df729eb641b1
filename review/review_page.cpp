#include "review/review_page.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "audio/mel_preset.hpp"
#include "audio/spectrogram_image.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "dub/report_format.hpp"
#include "provenance/crypto.hpp"
#include "provenance/manifest.hpp"
#include "provenance/trust_store.hpp"
#include "video/video_reader.hpp"

namespace dubkit {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;  // keeps the report's order (stages)

namespace {

constexpr int kAudioRate = 16000;                 // what the spectrograms are computed at
constexpr std::size_t kMaxReportBytes = 64u << 20;  // a report lists lines and windows, not media

// ---------------------------------------------------------------------------------------------
// The report, as far as the page uses it. Absent optional fields stay empty.

struct ReportLine {
  int index = 0;
  double start = 0, end = 0;
  std::string text, fit;
  std::optional<double> slot, natural, achieved, stretch, speech_start, speech_end, sync_offset, sync_confidence;
  std::vector<std::string> payloads;
};

struct Report {
  std::string path;
  std::string output, video, script, lang, output_id;
  std::string voice_name, consent, performer, studio;
  std::vector<std::string> uses;
  std::optional<double> fps, video_seconds, output_seconds;
  std::optional<double> audio_rate, target_lufs, loudness_lufs, peak_dbfs;
  std::string bed;
  std::optional<double> sync_offset, sync_confidence;
  std::vector<double> window_seconds, window_confidence, window_offset;
  std::vector<ReportLine> lines;
  std::vector<std::pair<int, std::string>> skipped;
  std::vector<std::pair<std::string, double>> stages;
};

[[noreturn]] void bad_field(const Report& r, const std::string& field, const std::string& what) {
  throw FormatError(r.path + ": dub report field \"" + field + "\" " + what);
}

const json* member(const json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<double> opt_number(const Report& r, const json& obj, const char* key, const std::string& where) {
  const json* v = member(obj, key);
  if (!v) return std::nullopt;
  if (!v->is_number()) bad_field(r, where + key, "is not a number");
  const double d = v->get<double>();
  if (!std::isfinite(d)) bad_field(r, where + key, "is not finite");
  return d;
}

std::string opt_string(const Report& r, const json& obj, const char* key, const std::string& where) {
  const json* v = member(obj, key);
  if (!v) return "";
  if (!v->is_string()) bad_field(r, where + key, "is not a string");
  return v->get<std::string>();
}

const json* opt_object(const Report& r, const json& obj, const char* key) {
  const json* v = member(obj, key);
  if (v && !v->is_object()) bad_field(r, key, "is not an object");
  return v;
}

const json* opt_array(const Report& r, const json& obj, const char* key, const std::string& where) {
  const json* v = member(obj, key);
  if (v && !v->is_array()) bad_field(r, where + key, "is not a list");
  return v;
}

std::vector<double> number_list(const Report& r, const json& obj, const char* key, const std::string& where) {
  std::vector<double> out;
  if (const json* a = opt_array(r, obj, key, where))
    for (const json& x : *a) {
      if (!x.is_number() || !std::isfinite(x.get<double>())) bad_field(r, where + key, "holds a value that is not a finite number");
      out.push_back(x.get<double>());
    }
  return out;
}

Report parse_report(const std::string& path) {
  Report r;
  r.path = path;
  const std::string text = read_small_file(path, kMaxReportBytes, "dub report");
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw FormatError(path + ": not a dub report (not JSON: " + e.what() + ")");
  }
  if (!j.is_object()) throw FormatError(path + ": not a dub report (not a JSON object)");
  const json* format = member(j, "format");
  if (!format || !format->is_string() || format->get<std::string>() != kDubReportFormat)
    throw FormatError(path + ": not a dub report (\"format\" is not \"" + kDubReportFormat + "\")");
  const json* version = member(j, "version");
  if (!version || !version->is_number_integer() || version->get<long long>() != kDubReportVersion)
    throw FormatError(path + ": unsupported dub report version (expected " + std::to_string(kDubReportVersion) + ")");

  r.output = opt_string(r, j, "output", "");
  r.video = opt_string(r, j, "video", "");
  r.script = opt_string(r, j, "script", "");
  r.lang = opt_string(r, j, "lang", "");
  r.output_id = opt_string(r, j, "output_id", "");
  r.fps = opt_number(r, j, "fps", "");
  r.video_seconds = opt_number(r, j, "video_seconds", "");
  r.output_seconds = opt_number(r, j, "output_seconds", "");
  if (const json* v = opt_object(r, j, "voice")) {
    r.voice_name = opt_string(r, *v, "name", "voice.");
    r.consent = opt_string(r, *v, "consent", "voice.");
    r.performer = opt_string(r, *v, "performer", "voice.");
    r.studio = opt_string(r, *v, "studio", "voice.");
    if (const json* u = opt_array(r, *v, "uses", "voice."))
      for (const json& x : *u) {
        if (!x.is_string()) bad_field(r, "voice.uses", "holds a value that is not a string");
        r.uses.push_back(x.get<std::string>());
      }
  }
  if (const json* a = opt_object(r, j, "audio")) {
    r.audio_rate = opt_number(r, *a, "rate", "audio.");
    r.target_lufs = opt_number(r, *a, "target_lufs", "audio.");
    r.loudness_lufs = opt_number(r, *a, "loudness_lufs", "audio.");
    r.peak_dbfs = opt_number(r, *a, "peak_dbfs", "audio.");
    r.bed = opt_string(r, *a, "bed", "audio.");
  }
  if (const json* s = opt_object(r, j, "sync")) {
    r.sync_offset = opt_number(r, *s, "offset", "sync.");
    r.sync_confidence = opt_number(r, *s, "confidence", "sync.");
    r.window_seconds = number_list(r, *s, "window_seconds", "sync.");
    r.window_confidence = number_list(r, *s, "window_confidence", "sync.");
    r.window_offset = number_list(r, *s, "window_offset", "sync.");
  }
  if (const json* lines = opt_array(r, j, "lines", "")) {
    int position = 0;
    for (const json& l : *lines) {
      ++position;
      const std::string where = "lines[" + std::to_string(position - 1) + "].";
      if (!l.is_object()) bad_field(r, where.substr(0, where.size() - 1), "is not an object");
      ReportLine line;
      const auto index = opt_number(r, l, "index", where);
      line.index = index ? static_cast<int>(std::lround(*index)) : position;
      const auto start = opt_number(r, l, "start", where), end = opt_number(r, l, "end", where);
      if (!start || !end) bad_field(r, where + (start ? "end" : "start"), "is missing");
      if (*start < 0 || *end < *start) bad_field(r, where + "end", "is before start (or start is negative)");
      line.start = *start;
      line.end = *end;
      line.text = opt_string(r, l, "text", where);
      line.fit = opt_string(r, l, "fit", where);
      line.slot = opt_number(r, l, "slot_seconds", where);
      line.natural = opt_number(r, l, "natural_seconds", where);
      line.achieved = opt_number(r, l, "achieved_seconds", where);
      line.stretch = opt_number(r, l, "stretch", where);
      line.speech_start = opt_number(r, l, "speech_start", where);
      line.speech_end = opt_number(r, l, "speech_end", where);
      line.sync_offset = opt_number(r, l, "sync_offset", where);
      line.sync_confidence = opt_number(r, l, "sync_confidence", where);
      if (const json* p = opt_array(r, l, "watermark_payloads", where))
        for (const json& x : *p) {
          if (x.is_string())
            line.payloads.push_back(x.get<std::string>());
          else if (x.is_number_unsigned() && x.get<std::uint64_t>() <= 0xffffffffu)
            line.payloads.push_back(payload_hex(static_cast<std::uint32_t>(x.get<std::uint64_t>())));
          else
            bad_field(r, where + "watermark_payloads", "holds a value that is neither a hex string nor a 32-bit number");
        }
      r.lines.push_back(std::move(line));
    }
  }
  if (const json* s = opt_array(r, j, "skipped", ""))
    for (const json& x : *s) {
      if (!x.is_object()) bad_field(r, "skipped", "holds a value that is not an object");
      const auto index = opt_number(r, x, "index", "skipped[].");
      r.skipped.emplace_back(index ? static_cast<int>(std::lround(*index)) : 0, opt_string(r, x, "reason", "skipped[]."));
    }
  if (const json* s = opt_object(r, j, "stages"))
    for (auto it = s->begin(); it != s->end(); ++it)
      if (it->is_number()) r.stages.emplace_back(it.key(), it->get<double>());
  return r;
}

// ---------------------------------------------------------------------------------------------
// Finding the original video.

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

// The folder the report's writer ran in, when the dubbed path ends with the report's relative
// "output" path ("out/demo/x.mp4" given as "/data/out/demo/x.mp4" implies "/data").
std::optional<fs::path> writer_dir(const std::string& dubbed, const std::string& output) {
  if (output.empty()) return std::nullopt;
  const fs::path out = fs::path(output).lexically_normal();
  if (out.is_absolute()) return std::nullopt;
  fs::path d = fs::absolute(dubbed).lexically_normal();
  std::vector<fs::path> tail(out.begin(), out.end());
  for (auto it = tail.rbegin(); it != tail.rend(); ++it) {
    if (*it == "..") return std::nullopt;
    if (*it == "." || it->empty()) continue;
    if (d.filename() != *it) return std::nullopt;
    d = d.parent_path();
  }
  return d;
}

std::string find_original(const ReviewOptions& o, const Report& r, const std::string& report_path) {
  if (!o.original.empty()) {
    if (!is_file(o.original)) throw IoError(o.original + ": no such file (the original video)");
    return o.original;
  }
  if (r.video.empty())
    throw InvalidArgument(report_path + " names no source video (\"video\"): give the original with --original");
  const fs::path v(r.video);
  std::vector<fs::path> tries{v};
  if (v.is_relative()) {
    if (const auto w = writer_dir(o.dubbed, r.output)) tries.push_back(*w / v);
    tries.push_back(fs::absolute(report_path).parent_path() / v);
  }
  tries.push_back(fs::absolute(report_path).parent_path() / v.filename());
  tries.push_back(fs::absolute(o.dubbed).parent_path() / v.filename());
  std::string tried;
  for (const fs::path& t : tries) {
    if (is_file(t)) return t.string();
    tried += (tried.empty() ? "" : ", ") + t.lexically_normal().string();
  }
  throw IoError(report_path + ": the source video \"" + r.video + "\" was not found (tried " + tried +
                "): give it with --original");
}

// ---------------------------------------------------------------------------------------------
// Formatting.

std::string num(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  std::string s(buf);
  if (s == "-0" || s.find_first_not_of("-0.") == std::string::npos) s.erase(0, s[0] == '-' ? 1 : 0);
  return s;
}

std::string num(const std::optional<double>& v, int decimals, const std::string& unit = "") {
  return v ? num(*v, decimals) + unit : "";
}

std::string signed_int(const std::optional<double>& v) {
  if (!v) return "";
  const long n = std::lround(*v);
  return (n > 0 ? "+" : "") + std::to_string(n);
}

// A file name safe to use in a relative link (the copies have fixed names; line pictures too).
std::string line_picture_name(int n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%03d.png", n);
  return buf;
}

// A "nice" axis step (1, 2 or 5 times a power of ten) giving about `ticks` intervals.
double nice_step(double range, int ticks) {
  if (!(range > 0)) return 1;
  const double raw = range / ticks;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double n = raw / mag;
  return (n < 1.5 ? 1 : n < 3 ? 2 : n < 7 ? 5 : 10) * mag;
}

int decimals_for(double step) { return step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9)); }

// ---------------------------------------------------------------------------------------------
// SVG pieces.

// The min/max envelope of samples [first, last) as a closed path over `width` x `height`.
std::string envelope_path(const std::vector<float>& s, std::size_t first, std::size_t last, double x0, double width,
                          double height, double y0) {
  last = std::min(last, s.size());
  if (first >= last || width < 1) return "";
  const int columns = std::max(1, static_cast<int>(std::min<double>(width, static_cast<double>(last - first))));
  std::vector<float> lo(columns), hi(columns);
  const double per = static_cast<double>(last - first) / columns;
  for (int c = 0; c < columns; ++c) {
    const std::size_t a = first + static_cast<std::size_t>(c * per);
    const std::size_t b = std::max(a + 1, std::min(last, first + static_cast<std::size_t>((c + 1) * per)));
    float mn = 1, mx = -1;
    for (std::size_t i = a; i < b; ++i) {
      const float v = std::clamp(s[i], -1.0f, 1.0f);
      mn = std::min(mn, v);
      mx = std::max(mx, v);
    }
    lo[c] = mn;
    hi[c] = mx;
  }
  const double mid = y0 + height / 2, half = height / 2;
  std::ostringstream p;
  for (int c = 0; c < columns; ++c)
    p << (c ? " L" : "M") << num(x0 + (c + 0.5) * width / columns, 1) << ',' << num(mid - hi[c] * half - 0.25, 2);
  for (int c = columns - 1; c >= 0; --c)
    p << " L" << num(x0 + (c + 0.5) * width / columns, 1) << ',' << num(mid - lo[c] * half + 0.25, 2);
  p << " Z";
  return p.str();
}

std::string line_waveform_svg(const Waveform& w, double start, double end) {
  const double width = 600, height = 56;
  const std::size_t a = static_cast<std::size_t>(std::max(0.0, std::floor(start * w.rate)));
  const std::size_t b = static_cast<std::size_t>(std::max(0.0, std::ceil(end * w.rate)));
  std::ostringstream o;
  // Stretched to the spectrogram's displayed width (CSS), so both show the same span of time.
  o << "<svg class=\"line-wave\" viewBox=\"0 0 " << width << ' ' << height
    << "\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"waveform\">"
    << "<line x1=\"0\" x2=\"" << width << "\" y1=\"" << height / 2 << "\" y2=\"" << height / 2
    << "\" stroke=\"#bbb\" vector-effect=\"non-scaling-stroke\"/>";
  const std::string path = envelope_path(w.samples, a, b, 0, width, height, 0);
  if (!path.empty()) o << "<path d=\"" << path << "\" fill=\"#2f6fb0\" stroke=\"none\"/>";
  o << "</svg>";
  return o.str();
}

struct Plot {
  double width = 1000, height = 200, left = 56, right = 16, top = 14, bottom = 44;
  double t_max = 1;
  double y_min = 0, y_max = 1;
  double x(double t) const { return left + (width - left - right) * std::clamp(t / t_max, 0.0, 1.0); }
  double y(double v) const { return top + (height - top - bottom) * (1 - (v - y_min) / (y_max - y_min)); }
  double inner_width() const { return width - left - right; }
  double inner_height() const { return height - top - bottom; }
};

std::string time_axis(const Plot& p) {
  std::ostringstream o;
  const double step = nice_step(p.t_max, 10);
  const int dec = decimals_for(step);
  const double base = p.top + p.inner_height();
  o << "<g class=\"axis\" font-size=\"11\" fill=\"#333\">"
    << "<line x1=\"" << p.left << "\" x2=\"" << p.left + p.inner_width() << "\" y1=\"" << base << "\" y2=\"" << base
    << "\" stroke=\"#333\"/>";
  for (int k = 0; k * step <= p.t_max + 1e-9; ++k) {
    const double t = k * step, x = p.x(t);
    o << "<line x1=\"" << num(x, 1) << "\" x2=\"" << num(x, 1) << "\" y1=\"" << base << "\" y2=\"" << base + 5
      << "\" stroke=\"#333\"/><text x=\"" << num(x, 1) << "\" y=\"" << base + 18 << "\" text-anchor=\"middle\">"
      << num(t, dec) << "</text>";
  }
  o << "<text x=\"" << p.left + p.inner_width() / 2 << "\" y=\"" << p.height - 6
    << "\" text-anchor=\"middle\">time (seconds)</text></g>";
  return o.str();
}

// Shaded spans of the lines over the plot area, each a click target seeking to the line.
std::string line_spans(const Plot& p, const std::vector<ReportLine>& lines) {
  std::ostringstream o;
  o << "<g class=\"spans\">";
  for (const ReportLine& l : lines) {
    const double x0 = p.x(l.start), x1 = std::max(p.x(l.end), x0 + 1);
    o << "<rect class=\"span\" data-start=\"" << num(l.start, 3) << "\" x=\"" << num(x0, 1) << "\" y=\"" << p.top
      << "\" width=\"" << num(x1 - x0, 1) << "\" height=\"" << p.inner_height()
      << "\" fill=\"#f3c969\" fill-opacity=\"0.35\"><title>" << html_escape("line " + std::to_string(l.index) + ": " + l.text)
      << "</title></rect><text x=\"" << num(x0 + 3, 1) << "\" y=\"" << p.top + 12 << "\" font-size=\"10\" fill=\"#7a5a00\">"
      << l.index << "</text>";
  }
  o << "</g>";
  return o.str();
}

std::string sync_timeline_svg(const Report& r, double t_max) {
  Plot p;
  p.height = 280;
  p.t_max = t_max;
  const std::size_t n = std::min(r.window_seconds.size(), r.window_confidence.size());
  double lo = 0, hi = 1;
  for (std::size_t i = 0; i < n; ++i) {
    lo = std::min(lo, r.window_confidence[i]);
    hi = std::max(hi, r.window_confidence[i]);
  }
  if (r.sync_confidence) hi = std::max(hi, *r.sync_confidence);
  const double ystep = nice_step(hi - lo, 5);
  p.y_min = std::floor(lo / ystep) * ystep;
  p.y_max = std::ceil(hi / ystep) * ystep;
  if (p.y_max <= p.y_min) p.y_max = p.y_min + ystep;
  const int ydec = decimals_for(ystep);

  std::ostringstream o;
  o << "<svg id=\"sync-timeline\" viewBox=\"0 0 " << p.width << ' ' << p.height
    << "\" width=\"" << p.width << "\" height=\"" << p.height << "\" role=\"img\" aria-label=\"sync confidence over time\">"
    << "<rect x=\"" << p.left << "\" y=\"" << p.top << "\" width=\"" << p.inner_width() << "\" height=\"" << p.inner_height()
    << "\" fill=\"#fafafa\" stroke=\"#ccc\"/>";
  o << line_spans(p, r.lines);
  // y axis: grid lines, ticks, labels
  o << "<g class=\"axis\" font-size=\"11\" fill=\"#333\"><line x1=\"" << p.left << "\" x2=\"" << p.left << "\" y1=\"" << p.top
    << "\" y2=\"" << p.top + p.inner_height() << "\" stroke=\"#333\"/>";
  for (int k = 0; p.y_min + k * ystep <= p.y_max + ystep * 1e-6; ++k) {
    const double v = p.y_min + k * ystep, y = p.y(v);
    o << "<line x1=\"" << p.left - 5 << "\" x2=\"" << p.left + p.inner_width() << "\" y1=\"" << num(y, 1) << "\" y2=\""
      << num(y, 1) << "\" stroke=\"" << (std::fabs(v) < ystep * 1e-6 ? "#999" : "#e4e4e4") << "\"/><text x=\"" << p.left - 8
      << "\" y=\"" << num(y + 4, 1) << "\" text-anchor=\"end\">" << num(v, ydec) << "</text>";
  }
  o << "<text transform=\"translate(14," << p.top + p.inner_height() / 2
    << ") rotate(-90)\" text-anchor=\"middle\">sync confidence</text></g>";
  o << time_axis(p);
  if (r.sync_confidence) {
    const double y = p.y(*r.sync_confidence);
    o << "<line class=\"overall\" x1=\"" << p.left << "\" x2=\"" << p.left + p.inner_width() << "\" y1=\"" << num(y, 1)
      << "\" y2=\"" << num(y, 1) << "\" stroke=\"#b03a2e\" stroke-dasharray=\"5 4\"/><text x=\"" << p.left + p.inner_width() - 4
      << "\" y=\"" << num(y - 4, 1) << "\" text-anchor=\"end\" font-size=\"11\" fill=\"#b03a2e\">overall "
      << num(*r.sync_confidence, 2) << "</text>";
  }
  if (n > 0) {
    o << "<polyline class=\"confidence\" fill=\"none\" stroke=\"#2f6fb0\" stroke-width=\"1.5\" points=\"";
    for (std::size_t i = 0; i < n; ++i)
      o << (i ? " " : "") << num(p.x(r.window_seconds[i]), 1) << ',' << num(p.y(r.window_confidence[i]), 1);
    o << "\"/>";
    // Windows whose best offset is not 0 frames, marked.
    if (r.window_offset.size() >= n)
      for (std::size_t i = 0; i < n; ++i)
        if (std::lround(r.window_offset[i]) != 0)
          o << "<circle cx=\"" << num(p.x(r.window_seconds[i]), 1) << "\" cy=\"" << num(p.y(r.window_confidence[i]), 1)
            << "\" r=\"2.5\" fill=\"#b03a2e\"><title>" << num(r.window_seconds[i], 2) << " s: offset "
            << signed_int(r.window_offset[i]) << " frame(s)</title></circle>";
  } else {
    o << "<text x=\"" << p.left + p.inner_width() / 2 << "\" y=\"" << p.top + p.inner_height() / 2
      << "\" text-anchor=\"middle\" fill=\"#777\">no per-window sync confidence in the report</text>";
  }
  o << "</svg>";
  return o.str();
}

std::string track_waveform_svg(const Waveform& w, const std::vector<ReportLine>& lines, double t_max) {
  Plot p;
  p.height = 150;
  p.t_max = t_max;
  std::ostringstream o;
  o << "<svg id=\"waveform\" viewBox=\"0 0 " << p.width << ' ' << p.height
    << "\" width=\"" << p.width << "\" height=\"" << p.height << "\" role=\"img\" aria-label=\"waveform of the dubbed audio\">"
    << "<rect x=\"" << p.left << "\" y=\"" << p.top << "\" width=\"" << p.inner_width() << "\" height=\"" << p.inner_height()
    << "\" fill=\"#fafafa\" stroke=\"#ccc\"/>";
  o << line_spans(p, lines);
  const double audio_end = std::min(w.seconds(), t_max);
  const std::size_t last = static_cast<std::size_t>(audio_end * w.rate);
  const std::string path = envelope_path(w.samples, 0, last, p.left, p.x(audio_end) - p.left, p.inner_height(), p.top);
  if (!path.empty()) o << "<path d=\"" << path << "\" fill=\"#2f6fb0\" stroke=\"none\"/>";
  o << time_axis(p) << "</svg>";
  return o.str();
}

// ---------------------------------------------------------------------------------------------
// The page.

const char* kStyle = R"CSS(
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 16px 24px; color: #222; background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 8px; border-bottom: 1px solid #ddd; }
.sub { color: #666; margin: 0 0 12px; word-break: break-all; }
.videos { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
.videos figure { margin: 0; } .videos figcaption { font-weight: 600; margin-bottom: 4px; }
video { width: 100%; background: #000; aspect-ratio: 16 / 9; }
.controls { display: flex; align-items: center; gap: 10px; margin: 8px 0; }
.controls input[type=range] { flex: 1; } .controls button { min-width: 80px; }
#clock { font-variant-numeric: tabular-nums; min-width: 120px; }
table { border-collapse: collapse; } td, th { border: 1px solid #ddd; padding: 3px 6px; vertical-align: top; text-align: left; }
th { background: #f2f2f2; } td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
#lines tr.line { cursor: pointer; } #lines tr.line:hover { background: #eef4fb; } #lines tr.current { background: #fff3cf; }
#lines td.text { max-width: 360px; white-space: pre-wrap; } #lines td.payloads { font-family: monospace; font-size: 12px; max-width: 220px; }
#lines tr.line-media td { border-top: none; padding-bottom: 10px; }
img.line-mel { display: block; width: 100%; max-width: 900px; height: auto; image-rendering: pixelated; }
svg.line-wave { display: block; width: 100%; max-width: 900px; height: 56px; }
#sync-timeline, #waveform { display: block; max-width: 100%; height: auto; }
#sync-timeline .span, #waveform .span { cursor: pointer; }
.fit-bad { color: #b03a2e; font-weight: 600; }
.status { font-weight: 700; padding: 1px 6px; border-radius: 3px; }
.status-valid { background: #d8f0d8; color: #1d5e1d; } .status-untrusted { background: #fbeccb; color: #7a5200; }
.status-tampered { background: #f6d3cf; color: #8a1f12; } .status-missing { background: #e8e8e8; color: #444; }
td ul { margin: 0; padding-left: 18px; }
.kv th { width: 200px; } .hash { font-family: monospace; font-size: 12px; word-break: break-all; }
.note { color: #8a5a00; }
)CSS";

// Mirrors play, pause, seeking and rate between the two videos (either one drives), one control
// set for both, row and span clicks seek; reads no text from the report.
const char* kScript = R"JS(
(function () {
  "use strict";
  var a = document.getElementById("original"), b = document.getElementById("dubbed");
  var button = document.getElementById("playpause"), seek = document.getElementById("seek");
  var clock = document.getElementById("clock");
  // Seeks this script started, by video, with their target: the "seeking" that starts one is
  // not passed on (else the two would echo). A user's seek has another target. Mirroring at
  // "seeking" (not "seeked") lets both videos seek at once.
  var pending = new WeakMap();
  function other(v) { return v === a ? b : a; }
  function quiet(p) { if (p && typeof p.catch === "function") p.catch(function () {}); }
  function seekTo(v, t) {
    var d = isFinite(v.duration) ? v.duration : t;
    var target = Math.max(0, Math.min(t, d));
    if (Math.abs(v.currentTime - target) < 0.04) return;
    pending.set(v, target);
    v.currentTime = target;
  }
  [a, b].forEach(function (v) {
    v.addEventListener("play", function () { var o = other(v); if (o.paused && !o.ended) quiet(o.play()); });
    v.addEventListener("pause", function () { var o = other(v); if (!o.paused) o.pause(); });
    v.addEventListener("seeking", function () {
      var mine = pending.has(v) && Math.abs(pending.get(v) - v.currentTime) < 0.04;
      pending.delete(v);
      if (!mine) seekTo(other(v), v.currentTime);
    });
    v.addEventListener("ratechange", function () { var o = other(v); if (o.playbackRate !== v.playbackRate) o.playbackRate = v.playbackRate; });
  });
  function fmt(t) { var m = Math.floor(t / 60), s = t - 60 * m; return m + ":" + (s < 10 ? "0" : "") + s.toFixed(2); }
  var rows = Array.prototype.slice.call(document.querySelectorAll("#lines tr.line"));
  function update() {
    var t = b.currentTime, d = isFinite(b.duration) ? b.duration : 0;
    if (d > 0 && seek.max !== String(d)) seek.max = String(d);
    if (document.activeElement !== seek) seek.value = String(t);
    clock.textContent = fmt(t) + " / " + fmt(d);
    button.textContent = b.paused ? "Play" : "Pause";
    rows.forEach(function (r) {
      var on = t >= parseFloat(r.dataset.start) && t < parseFloat(r.dataset.end);
      r.classList.toggle("current", on);
    });
    // Keep the original within a few frames of the dubbed video while both play.
    if (!b.paused && !a.paused && Math.abs(a.currentTime - t) > 0.15 && !pending.has(a)) seekTo(a, t);
  }
  ["timeupdate", "play", "pause", "seeked", "loadedmetadata", "durationchange"].forEach(function (e) { b.addEventListener(e, update); });
  button.addEventListener("click", function () { if (b.paused) { quiet(b.play()); quiet(a.play()); } else { b.pause(); a.pause(); } });
  seek.addEventListener("input", function () { seekTo(b, parseFloat(seek.value)); seekTo(a, parseFloat(seek.value)); });
  Array.prototype.forEach.call(document.querySelectorAll("[data-start]"), function (el) {
    el.addEventListener("click", function () { var t = parseFloat(el.dataset.start); seekTo(b, t); seekTo(a, t); });
  });
  function countDecoded() {
    document.body.dataset.videosDecoded = String([a, b].filter(function (v) { return v.readyState >= 2; }).length);
  }
  [a, b].forEach(function (v) { v.addEventListener("loadeddata", countDecoded); });
  countDecoded();
  update();
  window.addEventListener("load", function () {
    var n = 0;
    Array.prototype.forEach.call(document.images, function (im) { if (im.complete && im.naturalWidth > 0) n++; });
    document.body.dataset.imagesLoaded = String(n);
  });
  document.body.dataset.ready = "1";
})();
)JS";

// The CSP hash of the page's one script: only it runs, whatever text a report smuggles in.
std::string script_hash_base64() {
  const std::string hex = sha256_hex(kScript);
  std::string bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  static const char* kDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 3; ++k) v = (v << 8) | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    for (std::size_t k = 0; k < 4; ++k) out += k <= n ? kDigits[(v >> (18 - 6 * k)) & 63] : '=';
  }
  return out;
}

std::string row(const std::string& key, const std::string& value_html) {
  return "<tr><th>" + html_escape(key) + "</th><td>" + value_html + "</td></tr>\n";
}

std::string or_dash(const std::string& escaped) { return escaped.empty() ? "&ndash;" : escaped; }

std::string provenance_section(const ManifestVerification& mv, const Report& r, const std::string& trust_dir,
                               std::size_t report_payloads) {
  std::ostringstream o;
  const std::string status = to_string(mv.status);
  o << "<section id=\"provenance\">\n<h2>Provenance</h2>\n<table class=\"kv\">\n";
  o << row("manifest", "<span class=\"status status-" + html_escape(status) + "\">" + html_escape(status) + "</span> " +
                           html_escape(mv.detail));
  o << row("signer", or_dash(html_escape(mv.signer)));
  o << row("trust store", "<span class=\"hash\">" + html_escape(trust_dir) + "</span>");
  const Manifest* m = mv.manifest ? &*mv.manifest : nullptr;
  std::string ids = html_escape(r.output_id.empty() ? std::string("(not in the report)") : r.output_id);
  if (m) {
    if (m->instance_id == r.output_id)
      ids += " (the manifest's too)";
    else
      ids += " <span class=\"note\">the manifest says " + html_escape(m->instance_id) + "</span>";
  }
  o << row("output id", ids);
  std::string consent = html_escape(r.consent);
  if (m && !m->consent_id.empty() && m->consent_id != r.consent)
    consent += (consent.empty() ? "" : " ") + std::string("<span class=\"note\">the manifest says ") +
               html_escape(m->consent_id) + "</span>";
  o << row("consent record", or_dash(consent));
  o << row("performer", or_dash(html_escape(r.performer)));
  o << row("voice", or_dash(html_escape(r.voice_name)));
  o << row("studio", or_dash(html_escape(r.studio)));
  std::string uses;
  for (const std::string& u : r.uses) uses += (uses.empty() ? "" : ", ") + html_escape(u);
  o << row("uses", or_dash(uses));
  if (m) {
    if (!m->consent_path.empty()) o << row("consent path", html_escape(m->consent_path));
    std::string actions;
    for (const ManifestAction& a : m->actions)
      actions += "<li>" + html_escape(a.action) + (a.digital_source_type.empty() ? "" : " (" + html_escape(a.digital_source_type) + ")") +
                 (a.software_agent.empty() ? "" : ", " + html_escape(a.software_agent)) + "</li>";
    o << row("actions", actions.empty() ? "&ndash;" : "<ul>" + actions + "</ul>");
    std::string models;
    for (const ManifestModel& x : m->models)
      models += "<li>" + html_escape(x.name) + " <span class=\"hash\">sha256 " + html_escape(x.sha256) + "</span></li>";
    o << row("models", models.empty() ? "&ndash;" : "<ul class=\"models\">" + models + "</ul>");
    std::string ingredients;
    for (const ManifestIngredient& x : m->ingredients)
      ingredients += "<li>" + html_escape(x.title) + " (" + html_escape(x.role) + ") <span class=\"hash\">sha256 " +
                     html_escape(x.sha256) + "</span></li>";
    if (!ingredients.empty()) o << row("ingredients", "<ul>" + ingredients + "</ul>");
    std::string disclosures;
    for (const ManifestDisclosure& d : m->disclosures)
      disclosures += "<li>" + html_escape(d.kind) + ", " + html_escape(d.territory) + (d.applied ? "" : ": <b>removed</b>") + "</li>";
    if (!disclosures.empty()) o << row("disclosures", "<ul>" + disclosures + "</ul>");
    o << row("watermark payloads", std::to_string(m->watermark_payloads.size()) + " in the manifest, " +
                                       std::to_string(report_payloads) + " listed by the report's lines");
  } else {
    o << row("watermark payloads", std::to_string(report_payloads) + " listed by the report's lines (no manifest read)");
  }
  o << "</table>\n</section>\n";
  return o.str();
}

std::string summary_section(const Report& r, const std::string& report_path, const std::string& original) {
  std::ostringstream o;
  o << "<section id=\"summary\">\n<h2>Dub</h2>\n<table class=\"kv\">\n";
  o << row("report", "<span class=\"hash\">" + html_escape(report_path) + "</span>");
  o << row("source video", "<span class=\"hash\">" + html_escape(original) + "</span>");
  o << row("script", or_dash(html_escape(r.script)));
  o << row("language", or_dash(html_escape(r.lang)));
  o << row("frame rate", or_dash(num(r.fps, 3, " fps")));
  o << row("length", "video " + or_dash(num(r.video_seconds, 2, " s")) + ", output " + or_dash(num(r.output_seconds, 2, " s")));
  std::string audio;
  if (r.audio_rate) audio += num(r.audio_rate, 0) + " Hz; ";
  if (r.loudness_lufs) audio += "loudness " + num(r.loudness_lufs, 1) + " LUFS";
  if (r.target_lufs) audio += " (target " + num(r.target_lufs, 1) + ")";
  if (r.peak_dbfs) audio += "; peak " + num(r.peak_dbfs, 1) + " dBFS";
  if (!r.bed.empty()) audio += "; bed: " + html_escape(r.bed);
  o << row("audio", or_dash(audio));
  std::string sync;
  if (r.sync_offset) sync += "offset " + signed_int(r.sync_offset) + " frame(s)";
  if (r.sync_confidence) sync += std::string(sync.empty() ? "" : ", ") + "confidence " + num(*r.sync_confidence, 2);
  o << row("lip sync", or_dash(sync));
  std::string stages;
  for (const auto& [name, seconds] : r.stages) stages += (stages.empty() ? "" : ", ") + html_escape(name) + " " + num(seconds, 2) + " s";
  o << row("stage times", or_dash(stages));
  std::string skipped;
  for (const auto& [index, reason] : r.skipped) skipped += "<li>line " + std::to_string(index) + ": " + html_escape(reason) + "</li>";
  o << row("skipped lines", skipped.empty() ? "none" : "<ul>" + skipped + "</ul>");
  o << "</table>\n</section>\n";
  return o.str();
}

void copy_into(const std::string& from, const std::string& to, const std::vector<std::string>& inputs) {
  AtomicOutput out(to, inputs);
  std::error_code ec;
  fs::copy_file(from, out.temp_path(), fs::copy_options::overwrite_existing, ec);
  if (ec) throw IoError("cannot copy '" + from + "' to '" + to + "': " + ec.message());
  out.commit();
}

}  // namespace

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (const char c : text) switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  return out;
}

void ReviewOptions::validate() const {
  if (dubbed.empty()) throw InvalidArgument("review: the dubbed video is not given");
  if (out_dir.empty()) throw InvalidArgument("review: the output folder (-o) is not given");
  std::error_code ec;
  if (fs::exists(out_dir, ec) && !fs::is_directory(out_dir, ec))
    throw InvalidArgument("review: -o " + out_dir + " exists and is not a folder");
}

ReviewResult write_review(const ReviewOptions& o) {
  o.validate();
  if (!is_file(o.dubbed)) throw IoError(o.dubbed + ": no such file (the dubbed video)");
  const std::string report_path = o.report.empty() ? o.dubbed + ".dub.json" : o.report;
  if (!is_file(report_path))
    throw IoError(report_path + ": no such file (the dub report" + std::string(o.report.empty() ? "; give it with --report" : "") + ")");
  const Report r = parse_report(report_path);
  const std::string original = find_original(o, r, report_path);

  // Provenance first: it reads the dubbed file as given (with its sidecar), not the copy.
  const std::string trust_dir = o.trust_dir.empty() ? TrustStore::default_dir() : o.trust_dir;
  const TrustStore trust(trust_dir);
  const ManifestVerification mv = verify_manifest(o.dubbed, trust);

  // The dubbed audio; a file without a track gets a page without pictures.
  std::optional<Waveform> audio;
  std::string audio_note;
  try {
    audio = read_audio_track(o.dubbed, kAudioRate);
  } catch (const FormatError& e) {
    VideoReader check(o.dubbed, 1);  // a file that is no video at all throws here, naming it
    if (check.info().has_audio) throw;
    audio_note = "The dubbed video has no audio track: no spectrograms or waveforms.";
  }

  const fs::path dir(o.out_dir);
  std::error_code ec;
  fs::create_directories(dir / "lines", ec);
  if (ec) throw IoError("cannot create '" + (dir / "lines").string() + "': " + ec.message());
  const std::vector<std::string> inputs{o.dubbed, original, report_path};
  copy_into(original, (dir / "original.mp4").string(), inputs);
  copy_into(o.dubbed, (dir / "dubbed.mp4").string(), inputs);

  // Picture names: the report's line numbers when they are distinct and in 1..999, else positions.
  std::set<int> seen;
  bool by_index = true;
  for (const ReportLine& l : r.lines) by_index = by_index && l.index >= 1 && l.index <= 999 && seen.insert(l.index).second;
  std::vector<std::string> pictures(r.lines.size());
  std::set<std::string> written;
  const MelAnalyzer mel(mel_preset("wav2lip-16k"));
  const double frames_per_second = static_cast<double>(kAudioRate) / mel.preset().stft.hop;
  for (std::size_t i = 0; i < r.lines.size() && audio; ++i) {
    const ReportLine& l = r.lines[i];
    const std::size_t a = static_cast<std::size_t>(std::floor(l.start * kAudioRate));
    const std::size_t b = std::min(audio->samples.size(), static_cast<std::size_t>(std::ceil(l.end * kAudioRate)));
    if (a >= b) continue;  // the line lies past the end of the audio
    Waveform span;
    span.rate = kAudioRate;
    span.samples.assign(audio->samples.begin() + static_cast<std::ptrdiff_t>(a), audio->samples.begin() + static_cast<std::ptrdiff_t>(b));
    const std::size_t min_len = static_cast<std::size_t>(mel.preset().stft.win_length);
    if (span.samples.size() < min_len) span.samples.resize(min_len, 0.0f);
    const std::string name = line_picture_name(by_index ? l.index : static_cast<int>(i + 1));
    char title[96];
    std::snprintf(title, sizeof title, "line %d  %.2f-%.2f s  wav2lip-16k mel", l.index, l.start, l.end);
    write_spectrogram_png((dir / "lines" / name).string(), mel.compute(span), frames_per_second, title, inputs);
    pictures[i] = "lines/" + name;
    written.insert(name);
  }
  // Pictures of an earlier run of a longer report would be stale.
  for (const auto& e : fs::directory_iterator(dir / "lines", ec)) {
    const std::string f = e.path().filename().string();
    if (f.size() == 7 && f.compare(3, 4, ".png") == 0 && std::all_of(f.begin(), f.begin() + 3, [](unsigned char c) { return std::isdigit(c) != 0; }) && !written.count(f))
      fs::remove(e.path(), ec);
  }

  double t_max = 0;
  for (const auto& v : {r.video_seconds, r.output_seconds})
    if (v) t_max = std::max(t_max, *v);
  if (audio) t_max = std::max(t_max, audio->seconds());
  for (const ReportLine& l : r.lines) t_max = std::max(t_max, l.end);
  if (!r.window_seconds.empty()) t_max = std::max(t_max, *std::max_element(r.window_seconds.begin(), r.window_seconds.end()));
  if (!(t_max > 0)) t_max = 1;

  std::size_t report_payloads = 0;
  for (const ReportLine& l : r.lines) report_payloads += l.payloads.size();

  const std::string dubbed_name = fs::path(o.dubbed).filename().string();
  const std::string lang_attr = r.lang.empty() ? "" : " lang=\"" + html_escape(r.lang) + "\"";
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    << "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src 'self' file:; "
       "media-src 'self' file:; style-src 'unsafe-inline'; script-src 'sha256-"
    << script_hash_base64() << "'\">\n"
    << "<title>dubkit review: " << html_escape(dubbed_name) << "</title>\n<style>" << kStyle << "</style>\n</head>\n<body>\n";
  h << "<h1>Review: " << html_escape(dubbed_name) << "</h1>\n<p class=\"sub\">" << html_escape(o.dubbed)
    << (r.lang.empty() ? "" : " &middot; language " + html_escape(r.lang)) << " &middot; " << r.lines.size() << " line(s)"
    << " &middot; provenance <span class=\"status status-" << to_string(mv.status) << "\">" << to_string(mv.status)
    << "</span></p>\n";
  if (!audio_note.empty()) h << "<p class=\"note\">" << html_escape(audio_note) << "</p>\n";

  h << "<section id=\"player\">\n<div class=\"videos\">\n"
    << "<figure><figcaption>Original</figcaption><video id=\"original\" src=\"original.mp4\" preload=\"auto\" controls "
       "muted playsinline></video></figure>\n"
    << "<figure><figcaption>Dubbed</figcaption><video id=\"dubbed\" src=\"dubbed.mp4\" preload=\"auto\" controls "
       "playsinline></video></figure>\n</div>\n"
    << "<div class=\"controls\"><button id=\"playpause\" type=\"button\">Play</button>"
    << "<input id=\"seek\" type=\"range\" min=\"0\" max=\"" << num(t_max, 3) << "\" step=\"0.01\" value=\"0\" aria-label=\"seek both\">"
    << "<span id=\"clock\">0:00.00</span></div>\n"
    << "<p class=\"sub\">Playing, pausing or seeking either video does the same to the other; the original starts muted. "
       "Click a line (or its span in the timeline) to go to it.</p>\n</section>\n";

  h << "<section id=\"timeline\">\n<h2>Sync confidence</h2>\n" << sync_timeline_svg(r, t_max) << "\n";
  if (audio) h << "<h2>Waveform (dubbed)</h2>\n" << track_waveform_svg(*audio, r.lines, t_max) << "\n";
  h << "</section>\n";

  h << "<section id=\"line-table\">\n<h2>Lines</h2>\n<table id=\"lines\">\n<thead><tr><th>#</th><th>start&ndash;end (s)</th>"
       "<th>slot (s)</th><th>text</th><th>natural / achieved (s)</th><th>stretch</th><th>fit</th><th>sync offset</th>"
       "<th>sync conf.</th><th>watermark payloads</th></tr></thead>\n<tbody>\n";
  for (std::size_t i = 0; i < r.lines.size(); ++i) {
    const ReportLine& l = r.lines[i];
    const std::string fit_class =
        l.fit.empty() || l.fit == "fitted" || l.fit == "natural" ? "" : " class=\"fit-bad\"";
    std::string payloads;
    for (const std::string& p : l.payloads) payloads += (payloads.empty() ? "" : " ") + html_escape(p);
    std::string slot = num(l.slot, 2);
    if (slot.empty()) slot = num(l.end - l.start, 2);
    h << "<tr class=\"line\" id=\"line-" << l.index << "\" data-start=\"" << num(l.start, 3) << "\" data-end=\"" << num(l.end, 3)
      << "\"><td class=\"n\">" << l.index << "</td><td class=\"n\">" << num(l.start, 2) << "&ndash;" << num(l.end, 2)
      << "</td><td class=\"n\">" << slot << "</td><td class=\"text\"" << lang_attr << ">" << html_escape(l.text)
      << "</td><td class=\"n\">" << or_dash(num(l.natural, 2)) << " / " << or_dash(num(l.achieved, 2)) << "</td><td class=\"n\">"
      << or_dash(num(l.stretch, 3)) << "</td><td" << fit_class << ">" << or_dash(html_escape(l.fit)) << "</td><td class=\"n\">"
      << or_dash(l.sync_offset ? signed_int(l.sync_offset) + " fr" : "") << "</td><td class=\"n\">"
      << or_dash(num(l.sync_confidence, 2)) << "</td><td class=\"payloads\">" << or_dash(payloads) << "</td></tr>\n";
    h << "<tr class=\"line-media\"><td></td><td colspan=\"9\">";
    if (!pictures[i].empty())
      h << "<img class=\"line-mel\" src=\"" << html_escape(pictures[i]) << "\" alt=\"mel spectrogram of line " << l.index
        << "\">";
    else if (audio)
      h << "<span class=\"note\">no audio at this time in the dubbed video</span>";
    if (audio) h << line_waveform_svg(*audio, l.start, l.end);
    h << "</td></tr>\n";
  }
  h << "</tbody>\n</table>\n</section>\n";

  h << provenance_section(mv, r, trust_dir, report_payloads);
  h << summary_section(r, report_path, original);
  h << "<footer class=\"sub\">Written by dubkit review. Everything this page shows is in this folder.</footer>\n";
  h << "<script>" << kScript << "</script>\n</body>\n</html>\n";

  ReviewResult result;
  result.index_html = (dir / "index.html").string();
  check_output_path(result.index_html, inputs);
  write_file_atomic(result.index_html, h.str());
  result.lines = static_cast<int>(r.lines.size());
  result.provenance_status = to_string(mv.status);
  return result;
}

}  // namespace dubkit
