// Text -> the phone sequence the synthesizer reads. The synthesizer is trained on the phones
// the corpus engines actually spoke (corpus manifest "phones"), so at inference the same
// engine path produces them: the text is normalised and phonemised by the text front end
// (text/phonemizer.hpp), then spoken by espeak-ng, whose phoneme events give the phone
// names, pauses ("_") included, exactly as in training. The audio of that pass is discarded.
//
// Thread safety: may be called from several threads (espeak-ng runs under its own lock).
#pragma once

#include <string>
#include <vector>

namespace dubkit {

struct SentencePhones {
  std::string normalized;           // the sentence as it will be spoken
  std::vector<std::string> phones;  // IPA phones, "_" for a pause
};

// `lang` is a corpus language code ("en", "es", "de"). Throws InvalidArgument for empty text
// or a language espeak-ng does not have.
SentencePhones sentence_phones(const std::string& sentence, const std::string& lang);

// Running text -> sentences (at . ! ? ; and line breaks), whitespace collapsed; empty pieces
// dropped. Unlike the corpus's sentence cutter it keeps every word, however short the sentence.
std::vector<std::string> split_text(const std::string& text);

}  // namespace dubkit
