#include "corpus/transcripts.hpp"

#include <sstream>

namespace dubkit {

namespace {

std::vector<std::string> lines_of(const std::string& content) {
  std::vector<std::string> lines;
  std::istringstream in(content);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
  }
  return lines;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// Reads a double-quoted string starting at s[pos] == '"' with backslash escapes; on success
// sets `pos` after the closing quote.
bool quoted(const std::string& s, std::size_t& pos, std::string& out) {
  if (pos >= s.size() || s[pos] != '"') return false;
  out.clear();
  for (std::size_t i = pos + 1; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '"') {
      pos = i + 1;
      return true;
    }
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i >= s.size()) return false;
    switch (s[i]) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      default: out += s[i];
    }
  }
  return false;
}

void skip_spaces(const std::string& s, std::size_t& pos) {
  while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\n' || s[pos] == '\r')) ++pos;
}

// The quoted arguments of a call `("a", "b", ...)` whose '(' is at s[pos]; spaces and line
// breaks may stand between them. On success `pos` is after the ')'.
bool call_arguments(const std::string& s, std::size_t& pos, std::vector<std::string>& args) {
  if (pos >= s.size() || s[pos] != '(') return false;
  ++pos;
  args.clear();
  for (;;) {
    skip_spaces(s, pos);
    std::string arg;
    if (!quoted(s, pos, arg)) return false;
    args.push_back(std::move(arg));
    skip_spaces(s, pos);
    if (pos < s.size() && s[pos] == ',') {
      ++pos;
      continue;
    }
    if (pos < s.size() && s[pos] == ')') {
      ++pos;
      return true;
    }
    return false;
  }
}

std::string decode_xml_entities(const std::string& s) {
  static const std::pair<const char*, const char*> kEntities[] = {
      {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}};
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    bool replaced = false;
    if (s[i] == '&')
      for (const auto& [from, to] : kEntities)
        if (s.compare(i, std::string(from).size(), from) == 0) {
          out += to;
          i += std::string(from).size();
          replaced = true;
          break;
        }
    if (!replaced) out += s[i++];
  }
  return out;
}

// The value of attribute `name="..."` inside one XML tag.
bool attribute(const std::string& tag, const std::string& name, std::string& value) {
  for (std::size_t pos = tag.find(name + "="); pos != std::string::npos; pos = tag.find(name + "=", pos + 1)) {
    if (pos > 0 && tag[pos - 1] != ' ' && tag[pos - 1] != '\t') continue;
    const std::size_t open = pos + name.size() + 1;
    if (open >= tag.size() || tag[open] != '"') return false;
    const std::size_t close = tag.find('"', open + 1);
    if (close == std::string::npos) return false;
    value = decode_xml_entities(tag.substr(open + 1, close - open - 1));
    return true;
  }
  return false;
}

}  // namespace

Transcripts parse_festival_prompts(const std::string& content) {
  Transcripts t;
  for (const std::string& raw : lines_of(content)) {
    const std::string line = trim(raw);
    if (line.empty()) continue;
    std::size_t pos = 1;
    if (line[0] != '(' || line.back() != ')') {
      ++t.malformed;
      continue;
    }
    skip_spaces(line, pos);
    const std::size_t key_end = line.find_first_of(" \t", pos);
    TranscriptEntry e;
    if (key_end == std::string::npos) {
      ++t.malformed;
      continue;
    }
    e.key = line.substr(pos, key_end - pos);
    pos = key_end;
    skip_spaces(line, pos);
    if (e.key.empty() || !quoted(line, pos, e.text)) {
      ++t.malformed;
      continue;
    }
    t.entries.push_back(std::move(e));
  }
  return t;
}

Transcripts parse_asterisk_prompts(const std::string& content) {
  Transcripts t;
  for (const std::string& raw : lines_of(content)) {
    const std::string line = trim(raw);
    if (line.empty() || line[0] == ';') continue;
    const std::size_t colon = line.find(": ");
    if (colon == std::string::npos || colon == 0 || line.find_first_of(" \t") < colon) {
      ++t.malformed;
      continue;
    }
    TranscriptEntry e{line.substr(0, colon), trim(line.substr(colon + 2)), ""};
    if (e.text.empty()) {
      ++t.malformed;
      continue;
    }
    if (e.text.front() == '[' && e.text.back() == ']') continue;
    t.entries.push_back(std::move(e));
  }
  return t;
}

Transcripts parse_fillets_dialogs(const std::string& content) {
  Transcripts t;
  std::vector<std::string> args;
  bool pending = false;  // a dialogId waiting for its dialogStr
  TranscriptEntry e;
  static const std::string kId = "dialogId", kStr = "dialogStr";
  for (std::size_t pos = content.find("dialog"); pos != std::string::npos; pos = content.find("dialog", pos)) {
    const bool id = content.compare(pos, kId.size() + 1, kId + "(") == 0;
    const bool str = content.compare(pos, kStr.size() + 1, kStr + "(") == 0;
    if (!id && !str) {
      ++pos;
      continue;
    }
    pos += id ? kId.size() : kStr.size();
    const bool read = call_arguments(content, pos, args);
    if (id) {
      if (pending) ++t.malformed;  // the previous id never got its line
      pending = read && args.size() >= 2 && !args[0].empty();
      if (pending)
        e = TranscriptEntry{args[0], "", args[1]};
      else
        ++t.malformed;
    } else if (!pending || !read || args.size() != 1) {
      ++t.malformed;
      pending = false;
    } else {
      e.text = args[0];
      t.entries.push_back(e);
      pending = false;
    }
  }
  if (pending) ++t.malformed;
  return t;
}

Transcripts parse_tuxpaint_description(const std::string& content) {
  Transcripts t;
  bool first = true;
  for (const std::string& raw : lines_of(content)) {
    const std::string line = trim(raw);
    if (line.empty()) continue;
    const std::size_t marker = line.find(".utf8=");
    if (marker == std::string::npos) {
      if (!first) ++t.malformed;  // only the first line (English) has no prefix
      first = false;
      continue;
    }
    first = false;
    TranscriptEntry e{line.substr(0, marker), trim(line.substr(marker + 6)), ""};
    if (e.key.empty() || e.key.find_first_of(" \t/") != std::string::npos) {
      ++t.malformed;
      continue;
    }
    if (!e.text.empty()) t.entries.push_back(std::move(e));
  }
  return t;
}

Transcripts parse_kde_sounds(const std::string& content) {
  Transcripts t;
  for (std::size_t pos = content.find("<sound"); pos != std::string::npos; pos = content.find("<sound", pos + 1)) {
    if (pos + 6 < content.size() && content[pos + 6] != ' ' && content[pos + 6] != '\t' && content[pos + 6] != '\n')
      continue;  // another tag that starts the same (<sounds>)
    const std::size_t end = content.find('>', pos);
    if (end == std::string::npos) {
      ++t.malformed;
      break;
    }
    std::string tag = content.substr(pos, end - pos);
    for (char& c : tag)
      if (c == '\n' || c == '\t' || c == '\r') c = ' ';
    TranscriptEntry e;
    if (!attribute(tag, "file", e.key) || !attribute(tag, "name", e.text) || e.key.empty()) {
      ++t.malformed;
      continue;
    }
    t.entries.push_back(std::move(e));
  }
  return t;
}

}  // namespace dubkit
