#include "synth/front_end.hpp"

#include <algorithm>
#include <cctype>

#include "core/error.hpp"
#include "corpus/engines.hpp"
#include "text/phonemizer.hpp"

namespace dubkit {

SentencePhones sentence_phones(const std::string& sentence, const std::string& lang) {
  const Phonemes ph = phonemize(sentence, espeak_language(lang));
  const std::vector<BaseVoice> voices = base_voices({lang});
  const BaseVoice* espeak = nullptr;
  for (const BaseVoice& v : voices)
    if (v.engine == "espeak") {
      espeak = &v;  // the phones do not depend on the voice variant
      break;
    }
  if (espeak == nullptr) throw InvalidArgument("no espeak-ng voice for language '" + lang + "'");
  SentencePhones out;
  out.normalized = ph.normalized;
  for (const PhoneSpan& p : speak(*espeak, ph.normalized, 0).phones) out.phones.push_back(p.phone);
  return out;
}

std::vector<std::string> split_text(const std::string& text) {
  std::vector<std::string> out;
  std::string current;
  // A piece with nothing to say (only punctuation, as the "..." of "Wait ... what?") is dropped:
  // espeak-ng has no phones for it. Bytes of multi-byte UTF-8 count as letters.
  auto speakable = [](const std::string& piece) {
    return std::any_of(piece.begin(), piece.end(),
                       [](char c) { return static_cast<unsigned char>(c) >= 0x80 || std::isalnum(static_cast<unsigned char>(c)); });
  };
  auto flush = [&] {
    while (!current.empty() && current.back() == ' ') current.pop_back();
    if (speakable(current)) out.push_back(current);
    current.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n' || c == '\r') {
      flush();
      continue;
    }
    if (c == ' ' || c == '\t') {
      if (!current.empty() && current.back() != ' ') current += ' ';
      continue;
    }
    current += c;
    // A sentence ends at . ! ? ; followed by a space or the end (not "3.5" or "e.g.x").
    const bool end_mark = c == '.' || c == '!' || c == '?' || c == ';';
    if (end_mark && (i + 1 == text.size() || text[i + 1] == ' ' || text[i + 1] == '\n')) flush();
  }
  flush();
  return out;
}

}  // namespace dubkit
