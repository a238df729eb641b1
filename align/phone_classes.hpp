// IPA phone symbols folded to the aligner's phone classes.
//
// The aligner's acoustic model scores a fixed inventory of classes, and a phone sequence of any
// language espeak-ng speaks (or any IPA transcription) must map onto it, unseen phones included.
// The fold keeps what changes the sound over tens of milliseconds (the base letter: place,
// manner, vowel quality) and drops what an acoustic model trained on three languages cannot
// learn per language anyway (stress, length, palatalisation, nasalisation, aspiration):
//
//   1. "_", "pau", "sil", "sp", "#", a word space, a clause punctuation token (, . ? ! ; : - ...),
//      and a symbol that is nothing but marks (a lone stress mark) are the pause class.
//   2. Marks are stripped: stress (ˈ ˌ), length (ː ˑ), every combining diacritic (U+0300-036F:
//      tie bars, syllabic, nasal, dental...), spacing modifier letters (U+02B0-02FF: ʰ ʲ ʷ ˠ ˤ ˞),
//      superscripts (ⁿ, ᵊ, ᶣ...) and the undertie.
//   3. The longest prefix of the remaining letters that names a class wins: an inventory entry
//      ("tʃ", "aɪ", "a"), or a documented equivalent ("oɪ" -> "ɔɪ", "tɕ" -> "tʃ"). So "aɪɚ" is
//      "aɪ", "ɔːɹ" is "ɔ", "tʲ" is "t", "n̩" is "n", "ɑ̃" is "ɑ".
//   4. A letter outside the inventory takes its nearest inventory letter: same place and
//      manner first, then voicing ("ʁ" -> "r", "ɕ" -> "ʃ", "ɬ" -> "l", "ɯ" -> "u", "ʏ" -> "y";
//      the table is kNearestLetter in phone_classes.cpp). A letter not even there (clicks,
//      a letter of another script) is the "other" class, as is espeak-ng's "??".
//
// The class ids are the order of phone_class_names(); a model file records that list and is
// refused when it differs (see aligner.hpp). Everything here is pure functions over constant
// tables: thread-safe, no LibTorch.
#pragma once

#include <string>
#include <vector>

namespace dubkit {

enum class PhoneKind { Pause, Vowel, Consonant, Other };

inline constexpr int kPauseClass = 0;  // "_"
inline constexpr int kOtherClass = 1;  // "?"

// The class inventory: index = class id. "_" and "?" first, then vowels, diphthongs,
// consonants (IPA letters).
const std::vector<std::string>& phone_class_names();
int phone_class_count();

// The class of one phone symbol (as split_ipa or a corpus manifest gives it). Never throws;
// invalid UTF-8 folds to the "other" class.
int phone_class(const std::string& ipa_symbol);
std::vector<int> phone_classes(const std::vector<std::string>& ipa_symbols);

// The class's broad kind (the boundary matcher substitutes only within a kind). Throws
// InvalidArgument for an id outside the inventory.
PhoneKind phone_class_kind(int class_id);

// The symbol with its marks stripped (step 2 above), e.g. "ˈaːʲ" -> "a". For reports.
std::string strip_phone_marks(const std::string& ipa_symbol);

}  // namespace dubkit
