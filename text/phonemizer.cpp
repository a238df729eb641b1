#include "text/phonemizer.hpp"

#include <espeak-ng/espeak_ng.h>
#include <espeak-ng/speak_lib.h>

#include <cctype>
#include <cstring>
#include <utility>
#include <mutex>

#include "core/error.hpp"
#include "text/espeak_engine.hpp"
#include "text/text_normalize.hpp"

namespace dubkit {

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\n"), e = s.find_last_not_of(" \t\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

bool is_clause_punctuation(char c) { return c != '\0' && std::strchr(",.?!;:", c) != nullptr; }

// Cuts text after each clause punctuation mark that ends a word (so "3,5" and "e.g" stay
// whole); returns (clause, its punctuation or 0).
std::vector<std::pair<std::string, char>> split_clauses(const std::string& text) {
  std::vector<std::pair<std::string, char>> out;
  std::string cur;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool at_end = i + 1 == text.size() || std::isspace(static_cast<unsigned char>(text[i + 1]));
    if (is_clause_punctuation(c) && at_end) {
      out.emplace_back(cur, c);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!trim(cur).empty()) out.emplace_back(cur, '\0');
  return out;
}

// Code points that modify the symbol before them rather than stand alone.
bool attaches_to_previous(char32_t c) {
  return (c >= 0x0300 && c <= 0x036F) ||  // combining diacritics, tie bars
         (c >= 0x1AB0 && c <= 0x1AFF) || (c >= 0x1DC0 && c <= 0x1DFF) ||
         c == 0x02D0 || c == 0x02D1 ||     // length marks ː ˑ
         (c >= 0x02B0 && c <= 0x02BF) ||   // modifier letters ʰ ʲ ʷ ...
         c == 0x207F || (c >= 0x1D2C && c <= 0x1D6A);
}

}  // namespace

std::vector<std::string> split_ipa(const std::string& ipa) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < ipa.size();) {
    const unsigned char b = static_cast<unsigned char>(ipa[i]);
    const std::size_t len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > ipa.size()) throw InvalidArgument("phonemes are not valid UTF-8 at byte " + std::to_string(i));
    char32_t c = len == 1 ? b : b & (0x7F >> len);
    for (std::size_t k = 1; k < len; ++k) c = (c << 6) | (static_cast<unsigned char>(ipa[i + k]) & 0x3F);
    const std::string ch = ipa.substr(i, len);
    i += len;
    if (!out.empty() && attaches_to_previous(c) && out.back() != " ") out.back() += ch;
    else if (!(ch == " " && (out.empty() || out.back() == " "))) out.push_back(ch);
  }
  while (!out.empty() && out.back() == " ") out.pop_back();
  return out;
}

Phonemes phonemize(const std::string& text, const std::string& lang) {
  if (trim(text).empty()) throw InvalidArgument("no text to phonemize");
  Phonemes p;
  const bool english = lang == "en" || lang.rfind("en-", 0) == 0;
  p.normalized = english ? normalize_english(text) : text;

  EspeakEngine& engine = EspeakEngine::instance();
  std::lock_guard<std::mutex> lock(engine.mutex());
  if (espeak_ng_SetVoiceByName(lang.c_str()) != ENS_OK)
    throw InvalidArgument("espeak-ng has no language '" + lang + "'");
  // espeak-ng drops clause punctuation from its phonemes, so clauses are cut here and each
  // one's punctuation is kept as a token.
  for (const auto& [clause, punct] : split_clauses(p.normalized)) {
    const void* cursor = clause.c_str();
    std::string ipa;
    while (cursor) {
      const char* ph = espeak_TextToPhonemes(&cursor, espeakCHARS_UTF8, espeakPHONEMES_IPA);
      const std::string piece = trim(ph ? ph : "");
      if (!piece.empty()) ipa += (ipa.empty() ? "" : " ") + piece;
    }
    if (ipa.empty()) continue;
    p.ipa += (p.ipa.empty() ? "" : " ") + ipa;
    if (punct) p.ipa += std::string(" ") + punct;
  }
  if (p.ipa.empty()) throw InvalidArgument("espeak-ng produced no phonemes for '" + text + "'");
  p.symbols = split_ipa(p.ipa);
  return p;
}

std::string espeak_ng_version() {
  const char* path = nullptr;
  return espeak_Info(&path);
}

std::string espeak_language(const std::string& lang) { return lang == "en" ? "en-us" : lang; }

}  // namespace dubkit
