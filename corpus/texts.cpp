#include "corpus/texts.hpp"

#include <swmgr.h>
#include <swmodule.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <random>
#include <regex>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "text/text_normalize.hpp"

namespace dubkit {

namespace {

constexpr int kMinWords = 4, kMaxWords = 24;

std::string collapse_spaces(const std::string& s) {
  std::string out;
  for (char c : s) {
    const bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    if (space) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

int count_words(const std::string& s) {
  std::istringstream in(s);
  int n = 0;
  for (std::string w; in >> w;) ++n;
  return n;
}

std::string lower_ascii(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string sword_text(const std::string& module, const std::string& package) {
  // SWORD reads its configuration from /etc/sword.conf or $SWORD_PATH; Debian installs the
  // modules under /usr/share/sword.
  sword::SWMgr mgr("/usr/share/sword");
  sword::SWModule* mod = mgr.getModule(module.c_str());
  if (!mod) throw IoError("SWORD module " + module + " not found under /usr/share/sword (install Debian package " + package + ")");
  std::string all;
  for (mod->setPosition(sword::TOP); !mod->popError(); mod->increment()) {
    all += mod->stripText();
    all += '\n';
  }
  return all;
}

// Fortune files: entries separated by lines holding only '%'; an attribution line starts
// with whitespace and "--".
std::vector<std::pair<std::string, std::string>> fortune_entries(const std::string& path, const std::string& package) {
  std::ifstream f(path);
  if (!f) throw IoError("cannot read " + path + " (install Debian package " + package + ")");
  std::vector<std::pair<std::string, std::string>> out;
  std::string text, author;
  auto flush = [&] {
    if (!text.empty()) out.emplace_back(collapse_spaces(text), author);
    text.clear();
    author.clear();
  };
  for (std::string line; std::getline(f, line);) {
    if (line == "%") {
      flush();
      continue;
    }
    const auto first = line.find_first_not_of(" \t");
    if (first != std::string::npos && line.compare(first, 2, "--") == 0) author = line.substr(first + 2);
    else text += line + '\n';
  }
  flush();
  return out;
}

std::string german_text() {
  const std::string dir = "/usr/share/games/fortunes/de/";
  // Authors writing in German who died before 1955, so their words are in the public domain.
  static const std::regex public_domain(
      "Goethe|Schiller|Lessing|Lichtenberg|Heine|Nietzsche|Schopenhauer|Wilhelm Busch|Fontane|Kleist|Novalis|"
      "Hölderlin|Kant|Luther|Rilke|Kafka|Tucholsky|Morgenstern|Ebner-Eschenbach|Jean Paul|Hebbel|Grillparzer|"
      "Nestroy|Eichendorff|Storm|Raabe|Gottfried Keller|Stifter|Herder|Hegel|Humboldt|Bismarck|Moltke");
  std::string all;
  for (const auto& [text, author] : fortune_entries(dir + "sprichworte", "fortunes-de")) all += text + "\n";
  for (const auto& [text, author] : fortune_entries(dir + "zitate", "fortunes-de"))
    if (std::regex_search(author, public_domain)) all += text + "\n";
  return all;
}

}  // namespace

const std::vector<std::string>& corpus_languages() {
  static const std::vector<std::string> langs = {"en", "es", "de"};
  return langs;
}

std::string text_source_description(const std::string& lang) {
  if (lang == "en") return "King James Bible (1769 text), Debian sword-text-kjv, public domain";
  if (lang == "es") return "Reina-Valera Bible (1909), Debian sword-text-sparv, public domain";
  if (lang == "de") return "proverbs and quotations of authors who died before 1955, Debian fortunes-de";
  throw InvalidArgument("no text source for language '" + lang + "' (have en, es, de)");
}

std::vector<std::string> split_sentences(const std::string& text) {
  // Markup and typography that the synthesisers would read out or stumble on. (std::regex
  // recurses per character and overflows the stack on a whole Bible, so this is a scan.)
  static const char* const drop[] = {"¶", "«", "»", "„", "“", "”", "\"", "‘", "’", "*", "_", "#", "/", "|"};
  std::string clean;
  clean.reserve(text.size());
  char closing = 0;
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (closing) {
      if (c == closing) {
        closing = 0;
        clean += ' ';
      }
      ++i;
      continue;
    }
    if (c == '[' || c == '{' || c == '<' || c == '(') {
      closing = c == '[' ? ']' : c == '{' ? '}' : c == '<' ? '>' : ')';
      ++i;
      continue;
    }
    bool dropped = false;
    for (const char* d : drop) {
      const std::size_t n = std::strlen(d);
      if (text.compare(i, n, d) == 0) {
        clean += ' ';
        i += n;
        dropped = true;
        break;
      }
    }
    if (!dropped) clean += text[i++];
  }
  clean = collapse_spaces(clean);
  std::vector<std::string> out;
  std::string cur;
  for (std::size_t i = 0; i < clean.size(); ++i) {
    cur += clean[i];
    const char c = clean[i];
    const bool end = (c == '.' || c == '?' || c == '!' || c == ';' || c == ':') &&
                     (i + 1 == clean.size() || clean[i + 1] == ' ');
    if (!end && i + 1 != clean.size()) continue;
    std::string s = collapse_spaces(cur);
    cur.clear();
    while (!s.empty() && (s.front() == ' ' || s.front() == '-' || s.front() == ',')) s.erase(0, 1);
    if (s.empty()) continue;
    if (s.back() == ';' || s.back() == ':' || s.back() == ',') s.back() = '.';
    else if (s.back() != '.' && s.back() != '?' && s.back() != '!') s += '.';
    const int words = count_words(s);
    const bool has_digit = std::any_of(s.begin(), s.end(), [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); });
    if (words < kMinWords || words > kMaxWords || has_digit) continue;
    out.push_back(s);
  }
  return out;
}

SentenceSet load_sentences(const std::string& lang, std::uint64_t seed) {
  std::string text;
  if (lang == "en") text = sword_text("engKJV2006eb", "sword-text-kjv");
  else if (lang == "es") text = sword_text("spaRV1909eb", "sword-text-sparv");
  else if (lang == "de") text = german_text();
  else text_source_description(lang);  // throws
  std::vector<std::string> sentences;
  std::set<std::string> seen;
  for (std::string s : split_sentences(text)) {
    if (lang == "en") s = normalize_english(s);
    if (seen.insert(lower_ascii(s)).second) sentences.push_back(s);
  }
  if (sentences.size() < 40) throw IoError("only " + std::to_string(sentences.size()) + " usable '" + lang + "' sentences");
  std::mt19937_64 rng(seed ^ std::hash<std::string>{}(lang));
  std::shuffle(sentences.begin(), sentences.end(), rng);
  const std::size_t held = std::max<std::size_t>(20, sentences.size() / 20);
  SentenceSet set;
  set.heldout.assign(sentences.begin(), sentences.begin() + held);
  set.train.assign(sentences.begin() + held, sentences.end());
  return set;
}

}  // namespace dubkit
