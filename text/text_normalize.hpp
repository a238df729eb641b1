// English text normalisation for speech: numbers, ordinals, years, decimals, percentages,
// currency, times, dates and common abbreviations become the words a reader would say, so
// that the phonemizer and the synthesizer see what is spoken. Other languages are left to
// espeak-ng's own rules (Phonemizer).
#pragma once

#include <cstdint>
#include <string>

namespace dubkit {

// 0 -> "zero", 1234567 -> "one million two hundred thirty-four thousand five hundred sixty-seven".
// Up to 999,999,999,999,999.
std::string number_to_words(std::uint64_t n);
// 1 -> "first", 22 -> "twenty-second", 100 -> "one hundredth".
std::string ordinal_to_words(std::uint64_t n);
// 1999 -> "nineteen ninety-nine", 2005 -> "two thousand five", 2021 -> "twenty twenty-one".
std::string year_to_words(int year);

// Expands everything above in UTF-8 English text; punctuation and other words stay as they
// are. Examples: "Dr. Smith paid $5.20 at 3:45 pm on March 3, 2021." ->
// "doctor Smith paid five dollars and twenty cents at three forty-five p m on March third,
// twenty twenty-one."
std::string normalize_english(const std::string& text);

}  // namespace dubkit
