// `dubkit dub check`: measures a finished dub with tools other than the ones that made it, from
// the output file itself (its decoded AAC sound and H.264 pictures) and its report's line times:
//
//   words / phones  English lines: PocketSphinx word error rate against the line's text, next
//                   to the original video's own sound in the same slot heard the same way.
//                   Other languages: phone error rate of PocketSphinx's phone recogniser (US
//                   English acoustic model) against espeak-ng's phonemes of the text mapped to
//                   CMU phones; the same measured on espeak-ng's own voice reading the line
//                   gives the floor this mismatched recogniser reaches on clean speech.
//   voice           speaker-encoder cosine of each line's sound to the actor's enrollment audio
//   slots           voiced stretches (energy VAD) of the decoded sound, each inside a line's
//                   slot (or the pause the fit borrowed), to 50 ms
//   sync            the expert's offset and confidence, decoding and tracking the output anew
//   marks           the watermark per one-second block, with the studio key (optional)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dubkit {

struct DubCheckOptions {
  std::string dubbed;      // the dub's MP4; its report is dubbed + ".dub.json"
  std::string enrollment;  // the actor's enrollment audio (voice similarity); "" = skipped
  std::string encoder, sync_expert;  // model files
  std::string key;         // studio key file for the watermark; "" = not searched
};

struct DubCheckLine {
  int index = 0;
  std::string text;
  double start = 0, end = 0;
  std::string heard;                    // words (English) or CMU phones
  double error_rate = 0;                // WER or PER
  double reference_error_rate = -1;     // the same measure on the original's sound in the slot (English)
                                        // or on espeak-ng's voice reading the text; -1: none
  double voice_similarity = -1;         // -1: no enrollment, or too little speech
};

struct DubCheckReport {
  std::string lang, measure;            // "wer" or "per"
  std::vector<DubCheckLine> lines;
  double mean_error_rate = 0, mean_reference_error_rate = -1, mean_voice_similarity = -1, voice_threshold = 0;
  long voiced_segments = 0, voiced_outside_slots = 0;
  double worst_overrun = 0;             // seconds the furthest voiced stretch lies outside every slot
  int sync_offset = 0;
  double sync_confidence = 0;
  long blocks = 0, blocks_marked = 0;   // one-second blocks; blocks where the mark was found (-1: no key)
};

// Throws IoError / FormatError for a missing or malformed dub or report (dub/dub_report.hpp; a
// report without "lang" or a line's speech times is refused here, naming the field).
DubCheckReport check_dub(const DubCheckOptions& o);

// espeak-ng IPA (as text/phonemizer.hpp writes it) to CMU phones, lowercase; stress, length
// and unknown symbols dropped. Sounds English lacks go to the nearest CMU phone (x -> hh,
// ɾ -> r, y -> iy, ø -> er, ...).
std::vector<std::string> ipa_to_cmu(const std::string& ipa);

// Levenshtein distance / reference length.
double phone_error_rate(const std::vector<std::string>& reference, const std::vector<std::string>& heard);

}  // namespace dubkit
