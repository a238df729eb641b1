// The corpus manifest: one JSON object per line (manifest.jsonl in the corpus directory).
//   {"id": "flite-slt-01_0003", "path": "wav/flite-slt-01/flite-slt-01_0003.wav",
//    "speaker": "flite-slt-01", "split": "train"|"val"|"test", "lang": "en",
//    "base_voice": "flite-slt", "text": "...", "phonemes": "IPA from the text front end",
//    "duration": 3.21, "source_rate": 16000, "phones": [["_", 0.0, 0.12], ["h", 0.12, 0.19], ...]}
// `path` is relative to the corpus directory; audio is 16 kHz mono 16-bit WAV (other rates,
// when built, under wav<rate>/ with the same names: corpus_audio_path()). `source_rate` is the
// rate the audio was made or recorded at, so nothing above source_rate / 2 is in any of its files
// (a 16 kHz flite voice written at 22050 Hz is still band-limited to 8 kHz); absent (0) in
// corpora made before it was recorded. `phones` are the phones the engine spoke, in IPA, with
// start/end seconds.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "corpus/engines.hpp"

namespace dubkit {

struct CorpusUtterance {
  std::string id, path, speaker, split, lang, base_voice, text, phonemes;
  double duration = 0;
  int source_rate = 0;  // Hz; 0 = unknown
  std::vector<PhoneSpan> phones;
};

std::string to_json_line(const CorpusUtterance& u);
// Throws FormatError naming `where` when the line is not a valid manifest entry.
CorpusUtterance parse_manifest_line(const std::string& line, const std::string& where);

// The utterance's audio at `rate`: DIR/path at 16000 Hz, else the same name under DIR/wav<rate>/.
// Throws IoError when that file is missing, saying how to build the corpus with that rate.
std::string corpus_audio_path(const std::string& corpus_dir, const CorpusUtterance& u, int rate);

// Reads DIR/manifest.jsonl. Throws IoError when missing, FormatError naming the line.
std::vector<CorpusUtterance> read_manifest(const std::string& corpus_dir);

// Speaker -> group from DIR/speakers.json's "group" fields (a real corpus writes them: speakers
// of one group may be one person, e.g. KLettres' letters and syllables of one language). Empty
// when the file is missing or names no groups; throws FormatError naming the file when it is not
// a JSON array.
std::map<std::string, std::string> read_speaker_groups(const std::string& corpus_dir);

// The non-empty lines of a JSON-lines file, each with "PATH:LINE" for error messages. Throws
// IoError naming the file and `how_to_make` when it cannot be read.
std::vector<std::pair<std::string, std::string>> read_json_lines(const std::string& path, const std::string& how_to_make);

}  // namespace dubkit
