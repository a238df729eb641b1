#include "dub/dub_report.hpp"

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "provenance/crypto.hpp"

namespace dubkit {

using json = nlohmann::ordered_json;  // the written order is part of what users read

namespace {

constexpr std::size_t kMaxReportBytes = 64u << 20;
constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

json number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json payload_list(const std::vector<std::uint32_t>& payloads) {
  json j = json::array();
  for (std::uint32_t p : payloads) j.push_back(payload_hex(p));
  return j;
}

json line_json(const DubLine& l) {
  return {{"index", l.index},
          {"start", number(l.start)},
          {"end", number(l.end)},
          {"text", l.text},
          {"slot_seconds", number(l.slot_seconds())},
          {"natural_seconds", number(l.natural_seconds)},
          {"target_seconds", number(l.target_seconds)},
          {"achieved_seconds", number(l.achieved_seconds)},
          {"available_seconds", number(l.available_seconds)},
          {"stretch", number(l.stretch)},
          {"fit", l.fit},
          {"speech_start", number(l.speech_start)},
          {"speech_end", number(l.speech_end)},
          {"resumed", l.resumed},
          {"sync_offset", l.synced ? json(l.sync_offset) : json(nullptr)},
          {"sync_confidence", l.synced ? number(l.sync_confidence) : json(nullptr)},
          {"sync_windows", l.sync_windows},
          {"watermark_payloads", payload_list(l.watermark_payloads)}};
}

// The fields of one JSON object of the report, named in errors by their path in it ("voice.",
// "lines[3]."). A member that is absent or null is missing.
class Fields {
 public:
  Fields(const json& object, std::string prefix, const std::string& file) : j_(object), prefix_(std::move(prefix)), file_(file) {}

  [[noreturn]] void bad(const std::string& key, const std::string& what) const {
    throw dub_report_field_error(file_, prefix_ + key, what);
  }

  const json* get(const std::string& key) const {
    const auto it = j_.find(key);
    return it == j_.end() || it->is_null() ? nullptr : &*it;
  }

  double number(const std::string& key) const {
    const json* v = get(key);
    if (!v) return kMissing;
    if (!v->is_number()) bad(key, "is not a number");
    return v->get<double>();
  }

  // A whole number in [lo, hi] (a fraction is rounded); `missing` when absent.
  long whole(const std::string& key, long missing, long lo = std::numeric_limits<int>::min(),
             long hi = std::numeric_limits<int>::max()) const {
    const json* v = get(key);
    return v ? whole_value(*v, key, lo, hi) : missing;
  }

  long whole_value(const json& v, const std::string& key, long lo = std::numeric_limits<int>::min(),
                   long hi = std::numeric_limits<int>::max()) const {
    if (!v.is_number()) bad(key, "is not a number");
    const double d = v.get<double>();
    if (!(d >= static_cast<double>(lo) && d <= static_cast<double>(hi))) bad(key, "is out of range");
    return std::lround(d);
  }

  bool flag(const std::string& key) const {
    const json* v = get(key);
    if (v && !v->is_boolean()) bad(key, "is not true or false");
    return v && v->get<bool>();
  }

  std::string text(const std::string& key) const {
    const json* v = get(key);
    if (v && !v->is_string()) bad(key, "is not a string");
    return v ? v->get<std::string>() : "";
  }

  // An object or list member; an empty one when missing.
  const json& object(const std::string& key) const { return of_type(key, json::value_t::object, "is not an object"); }
  const json& list(const std::string& key) const { return of_type(key, json::value_t::array, "is not a list"); }

  Fields fields(const std::string& key) const { return Fields(object(key), prefix_ + key + ".", file_); }

  std::vector<double> numbers(const std::string& key) const {
    std::vector<double> out;
    for (const json& x : list(key)) {
      if (!x.is_number()) bad(key, "holds a value that is not a number");
      out.push_back(x.get<double>());
    }
    return out;
  }

  std::vector<std::string> texts(const std::string& key) const {
    std::vector<std::string> out;
    for (const json& x : list(key)) {
      if (!x.is_string()) bad(key, "holds a value that is not a string");
      out.push_back(x.get<std::string>());
    }
    return out;
  }

  // Payloads as 8 hex digits (as written), or as 32-bit numbers.
  std::vector<std::uint32_t> payloads(const std::string& key) const {
    std::vector<std::uint32_t> out;
    for (const json& x : list(key)) {
      if (x.is_string())
        out.push_back(payload_from_hex(x.get<std::string>(), file_ + ": dub report field \"" + prefix_ + key + "\""));
      else if (x.is_number_integer() && x.get<std::int64_t>() >= 0 && x.get<std::int64_t>() <= 0xffffffff)
        out.push_back(static_cast<std::uint32_t>(x.get<std::int64_t>()));
      else
        bad(key, "holds a value that is neither a hex string nor a 32-bit number");
    }
    return out;
  }

 private:
  const json& of_type(const std::string& key, json::value_t type, const char* what) const {
    static const json empty_object = json::object(), empty_list = json::array();
    const json* v = get(key);
    if (!v) return type == json::value_t::object ? empty_object : empty_list;
    if (v->type() != type) bad(key, what);
    return *v;
  }

  const json& j_;
  std::string prefix_;
  const std::string& file_;
};

void check_format(const json& j, const std::string& where) {
  if (!j.is_object()) throw FormatError(where + ": not a dub report (not a JSON object)");
  const auto format = j.find("format");
  if (format == j.end() || !format->is_string() || format->get<std::string>() != kDubReportFormat)
    throw FormatError(where + ": not a dub report (\"format\" is not \"" + kDubReportFormat + "\")");
  const auto version = j.find("version");
  if (version == j.end() || !version->is_number_integer())
    throw dub_report_field_error(where, "version", "is missing or not a whole number (the report's major version)");
  if (version->get<long long>() != kDubReportVersion)
    throw FormatError(where + ": dub report version " + version->dump() + " is not one this dubkit reads (it reads version " +
                      std::to_string(kDubReportVersion) + "; a newer dubkit may have written it)");
}

DubLine read_line(const Fields& f, int position) {
  DubLine l;
  l.index = static_cast<int>(f.whole("index", position));
  l.start = f.number("start");
  l.end = f.number("end");
  if (std::isnan(l.start) || std::isnan(l.end)) f.bad(std::isnan(l.start) ? "start" : "end", "is missing");
  if (l.start < 0 || l.end < l.start) f.bad("end", "is before start (or start is negative)");
  l.text = f.text("text");
  l.natural_seconds = f.number("natural_seconds");
  l.target_seconds = f.number("target_seconds");
  l.achieved_seconds = f.number("achieved_seconds");
  l.available_seconds = f.number("available_seconds");
  l.stretch = f.number("stretch");
  l.fit = f.text("fit");
  l.speech_start = f.number("speech_start");
  l.speech_end = f.number("speech_end");
  l.resumed = f.flag("resumed");
  l.synced = f.get("sync_offset") != nullptr;
  l.sync_offset = static_cast<int>(f.whole("sync_offset", 0));
  l.sync_confidence = f.number("sync_confidence");
  l.sync_windows = f.whole("sync_windows", 0, 0, std::numeric_limits<long>::max() / 2);
  l.watermark_payloads = f.payloads("watermark_payloads");
  return l;
}

void read_sync(const Fields& top, DubReport& r) {
  const Fields s = top.fields("sync");
  r.synced = s.get("offset") != nullptr;
  r.sync_offset = static_cast<int>(s.whole("offset", 0));
  r.sync_confidence = s.number("confidence");
  r.window_seconds = s.numbers("window_seconds");
  r.window_confidence = s.numbers("window_confidence");
  for (const json& x : s.list("window_offset")) r.window_offset.push_back(static_cast<int>(s.whole_value(x, "window_offset")));
}

}  // namespace

FormatError dub_report_field_error(const std::string& path, const std::string& field, const std::string& what) {
  return FormatError(path + ": dub report field \"" + field + "\" " + what);
}

json DubReport::to_json() const {
  json line_list = json::array();
  for (const DubLine& l : lines) line_list.push_back(line_json(l));
  json skipped_list = json::array();
  for (const auto& [i, why] : skipped) skipped_list.push_back({{"index", i}, {"reason", why}});
  json stage_times = json::object();
  for (const auto& [name, s] : stages) stage_times[name] = number(s);
  json sync = nullptr;
  if (synced)
    sync = {{"offset", sync_offset}, {"confidence", number(sync_confidence)}, {"window_seconds", window_seconds},
            {"window_confidence", window_confidence}, {"window_offset", window_offset}};
  return {{"format", kDubReportFormat},
          {"version", kDubReportVersion},
          {"output", output},
          {"video", video},
          {"script", script},
          {"background", background},
          {"lang", lang},
          {"source_lang", source_lang},
          {"output_id", output_id},
          {"voice", {{"name", voice.name}, {"consent", voice.consent}, {"performer", voice.performer}, {"studio", voice.studio},
                     {"uses", voice.uses}}},
          {"fps", number(fps)},
          {"video_seconds", number(video_seconds)},
          {"output_seconds", number(output_seconds)},
          {"frames", {{"out", frames_out}, {"changed", frames_changed}, {"silenced", frames_silenced}}},
          {"audio", {{"rate", audio_rate}, {"target_lufs", number(target_lufs)}, {"loudness_lufs", number(mix.loudness_lufs)},
                     {"gain_db", number(mix.gain_db)}, {"peak_dbfs", number(mix.peak_dbfs)}, {"peak_limited", mix.peak_limited},
                     {"bed", bed}}},
          {"sync", sync},
          {"watermark_payloads", payload_list(watermark_payloads)},
          {"lines", line_list},
          {"skipped", skipped_list},
          {"stages", stage_times}};
}

DubReport DubReport::from_json(const json& j, const std::string& where) {
  check_format(j, where);
  const Fields f(j, "", where);
  DubReport r;
  r.output = f.text("output");
  r.video = f.text("video");
  r.script = f.text("script");
  r.background = f.text("background");
  r.lang = f.text("lang");
  r.source_lang = f.text("source_lang");
  r.output_id = f.text("output_id");
  const Fields v = f.fields("voice");
  r.voice = {v.text("name"), v.text("consent"), v.text("performer"), v.text("studio"), v.texts("uses")};
  r.fps = f.number("fps");
  r.video_seconds = f.number("video_seconds");
  r.output_seconds = f.number("output_seconds");
  const Fields frames = f.fields("frames");
  const long most = std::numeric_limits<long>::max() / 2;
  r.frames_out = frames.whole("out", 0, 0, most);
  r.frames_changed = frames.whole("changed", 0, 0, most);
  r.frames_silenced = frames.whole("silenced", 0, 0, most);
  const Fields a = f.fields("audio");
  r.audio_rate = static_cast<int>(a.whole("rate", 0, 0));
  r.target_lufs = a.number("target_lufs");
  r.mix.loudness_lufs = a.number("loudness_lufs");
  r.mix.gain_db = a.number("gain_db");
  r.mix.peak_dbfs = a.number("peak_dbfs");
  r.mix.peak_limited = a.flag("peak_limited");
  r.bed = a.text("bed");
  read_sync(f, r);
  r.watermark_payloads = f.payloads("watermark_payloads");
  int position = 0;
  for (const json& l : f.list("lines")) {
    const std::string at = "lines[" + std::to_string(position++) + "]";
    if (!l.is_object()) f.bad(at, "is not an object");
    r.lines.push_back(read_line(Fields(l, at + ".", where), position));
  }
  position = 0;
  for (const json& s : f.list("skipped")) {
    const std::string at = "skipped[" + std::to_string(position++) + "]";
    if (!s.is_object()) f.bad(at, "is not an object");
    const Fields sf(s, at + ".", where);
    r.skipped.emplace_back(static_cast<int>(sf.whole("index", 0)), sf.text("reason"));
  }
  const Fields stages = f.fields("stages");
  for (const auto& stage : f.object("stages").items()) r.stages.emplace_back(stage.key(), stages.number(stage.key()));
  return r;
}

DubReport read_dub_report(const std::string& path) {
  const std::string text = read_small_file(path, kMaxReportBytes, "dub report");
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw FormatError(path + ": not a dub report (not JSON: " + e.what() + ")");
  }
  return DubReport::from_json(j, path);
}

void write_dub_report(const std::string& path, const DubReport& report) {
  write_file_atomic(path, report.to_json().dump(2) + "\n");
}

}  // namespace dubkit
