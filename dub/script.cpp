#include "dub/script.hpp"

#include <cmath>
#include <cstdio>

#include "core/error.hpp"
#include "core/utf8.hpp"
#include "video/subtitles.hpp"

namespace dubkit {

std::string clean_cue_text(const std::string& raw) {
  std::string out;
  for (std::size_t i = 0; i < raw.size();) {
    const char c = raw[i];
    // <i>, </b>, <v Anna>, <c.yellow>, <00:00:01.000>: tags of both formats.
    if (c == '<') {
      const std::size_t close = raw.find('>', i);
      if (close != std::string::npos) {
        i = close + 1;
        continue;
      }
    }
    // SubRip/ASS override blocks: {\an8}, {\i1}.
    if (c == '{' && i + 1 < raw.size() && raw[i + 1] == '\\') {
      const std::size_t close = raw.find('}', i);
      if (close != std::string::npos) {
        i = close + 1;
        continue;
      }
    }
    if (c == '&') {
      static const std::pair<const char*, const char*> entities[] = {
          {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&nbsp;", " "}, {"&quot;", "\""}, {"&apos;", "'"}};
      bool matched = false;
      for (const auto& [name, value] : entities)
        if (raw.compare(i, std::char_traits<char>::length(name), name) == 0) {
          out += value;
          i += std::char_traits<char>::length(name);
          matched = true;
          break;
        }
      if (matched) continue;
    }
    const bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    if (space) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
    ++i;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

namespace {

Script make_script(const std::vector<SubtitleCue>& cues, const std::string& name) {
  Script s;
  int index = 0;
  for (const SubtitleCue& c : cues) {
    ++index;
    const std::string where = name + ": cue " + std::to_string(index) + " (" + subtitle_time(c.start) + " --> " +
                              subtitle_time(c.end) + ")";
    if (const std::size_t bad = first_invalid_utf8(c.text); bad != std::string::npos) {
      char byte[8];
      std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(c.text[bad]));
      throw FormatError(where + " is not UTF-8 (byte " + byte + " at offset " + std::to_string(bad) +
                        " of its text): save the script as UTF-8, e.g. iconv -f WINDOWS-1252 -t UTF-8");
    }
    if (!(c.end > c.start)) throw FormatError(where + " does not end after it starts");
    std::string line = clean_cue_text(c.text);
    if (line.empty()) {
      s.skipped.push_back({index, c.start, c.end, "no text"});
      continue;
    }
    s.lines.push_back({index, c.start, c.end, std::move(line)});
  }
  std::string overlaps;
  for (std::size_t i = 1; i < s.lines.size(); ++i) {
    const ScriptLine &a = s.lines[i - 1], &b = s.lines[i];
    if (b.start < a.end - 1e-6)
      overlaps += "\n  cue " + std::to_string(a.index) + " (" + subtitle_time(a.start) + " --> " + subtitle_time(a.end) +
                  ") overlaps cue " + std::to_string(b.index) + " (" + subtitle_time(b.start) + " --> " +
                  subtitle_time(b.end) + ")";
  }
  if (!overlaps.empty())
    throw FormatError(name + ": cues overlap; a dub speaks one line at a time, so merge or retime them:" + overlaps);
  if (s.lines.empty()) throw FormatError(name + ": no line to speak (" + std::to_string(s.skipped.size()) + " empty cues)");
  return s;
}

}  // namespace

Script parse_script(const std::string& text, const std::string& name) { return make_script(parse_subtitles(text, name), name); }

Script read_script(const std::string& path) { return make_script(read_subtitles(path), path); }

void check_script_within(const Script& s, double video_seconds, const std::string& name) {
  std::string past;
  for (const ScriptLine& l : s.lines)
    if (l.end > video_seconds + 1e-6)
      past += "\n  cue " + std::to_string(l.index) + " (" + subtitle_time(l.start) + " --> " + subtitle_time(l.end) + ")";
  if (!past.empty())
    throw InvalidArgument(name + ": cues end after the video (" + subtitle_time(video_seconds) +
                          "); shorten or retime them:" + past);
}

}  // namespace dubkit
