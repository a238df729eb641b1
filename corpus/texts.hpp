// Sentences for the corpus, from public-domain texts that Debian packages ship:
//   en  King James Bible, 1769 text     sword-text-kjv    (SWORD module engKJV2006eb)
//   es  Reina-Valera Bible, 1909        sword-text-sparv  (SWORD module spaRV1909eb)
//   de  proverbs, and quotations of German-language authors who died before 1955,
//       from fortunes-de (files sprichworte, zitate)
// Sentences are cut at sentence punctuation, cleaned of markup, kept when 4 to 24 words
// long, normalised (English: text_normalize.hpp) and deduplicated case-insensitively.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dubkit {

// The languages with a text source, in the order above.
const std::vector<std::string>& corpus_languages();

// Where a language's text comes from, for the summary and the docs.
std::string text_source_description(const std::string& lang);

struct SentenceSet {
  std::vector<std::string> train;    // used for synthesis
  std::vector<std::string> heldout;  // never spoken in the corpus: for evaluating synthesis
};

// All usable sentences of `lang`, shuffled deterministically by `seed`, with 5% (at least
// 20) held out. Throws InvalidArgument for a language without a source, IoError when its
// package is not installed (naming the package).
SentenceSet load_sentences(const std::string& lang, std::uint64_t seed);

// Splits running text into cleaned sentences of 4..24 words (exposed for tests).
std::vector<std::string> split_sentences(const std::string& text);

}  // namespace dubkit
