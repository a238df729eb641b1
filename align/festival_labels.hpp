// Festival / festvox segment labels as a reference for the aligner (lab/<id>.lab), whose
// phone times were made for unit selection, i.e. by an aligner trained on that speaker and
// hand-checked: real speech with an independent segmentation. (The voice's prompt list is read
// by corpus/transcripts.hpp.)
//
//   <id>.lab        header lines, a line "#", then "END_TIME COLOUR PHONE" per segment; a
//                   segment starts where the previous one ended (the first at 0)
// Pure functions, no LibTorch; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "corpus/engines.hpp"

namespace dubkit {

// The segments with festival's phone names. Throws IoError when unreadable, FormatError naming
// the file and line for a malformed line, times going backwards or no segments.
std::vector<PhoneSpan> read_festival_labels(const std::string& path);

// The phone set of festvox's msu_ru_nsh voice (festvox/msu_ru_nsh_phoneset.scm) in IPA: "pau"
// is "_", a doubled consonant letter is the palatalised one ("tt" -> "tʲ"), reduced vowels
// their usual IPA ("ae" -> "ə", "ay" -> "ɪ"). Throws InvalidArgument for a name outside it.
std::string msu_ru_phone_to_ipa(const std::string& name);

}  // namespace dubkit
