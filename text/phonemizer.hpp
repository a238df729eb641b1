// Text -> IPA phonemes through libespeak-ng, for every language espeak-ng has. Stress marks
// (ˈ ˌ) stay in the IPA; clause punctuation (, . ? ! ; :) is kept as its own token so the
// synthesizer sees prosodic boundaries. English is normalised first (text_normalize.hpp);
// other languages use espeak-ng's own number and abbreviation rules.
//
// Thread safety: espeak-ng keeps global state, so every call takes one process-wide lock.
#pragma once

#include <string>
#include <vector>

namespace dubkit {

struct Phonemes {
  std::string normalized;            // the text as it will be spoken
  std::string ipa;                   // words separated by spaces, punctuation as tokens
  std::vector<std::string> symbols;  // ipa split into symbols (see split_ipa)
};

// Phonemizes `text` in espeak-ng voice `lang` ("en-us", "es", "de", ...). Throws
// InvalidArgument for empty text or a language espeak-ng does not know, Error when espeak-ng
// cannot start (its data missing).
Phonemes phonemize(const std::string& text, const std::string& lang);

// Splits IPA into symbols: one per base character, with combining diacritics, length (ː) and
// tie bars attached to it; stress marks, spaces (word boundaries) and punctuation are
// symbols of their own.
std::vector<std::string> split_ipa(const std::string& ipa);

// The espeak-ng language voice of a corpus language code: "en" is US English ("en-us"), other
// codes name themselves.
std::string espeak_language(const std::string& lang);

std::string espeak_ng_version();

}  // namespace dubkit
