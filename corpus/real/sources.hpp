// The Debian packages that hold real human speech (measured in ../shared/design/REAL_SPEECH.md),
// each as a named source: which packages to fetch, who speaks, and how to list its recordings
// with their transcripts from the unpacked files.
//
//   festvox-ru      one Russian reader (festvox-ru)                         sentences
//   asterisk-LANG   4 professional voices, en es fr it ru (asterisk-core-sounds-LANG{,-g722})
//   fillets-cs/-nl  acted dialogue of Fish Fillets (fillets-ng-data + -cs / -nl)
//   tuxpaint        read stamp descriptions, one volunteer per language (tuxpaint-stamps-default)
//   klettres        letters and syllables, one speaker per language and set short clips
//   ktuberling      object names, one speaker per language, no transcript   short clips
//
// Speakers are named by source and voice ("asterisk-allison", "tuxpaint-ro"); a person known to
// record for two packages has one name (Allison Smith reads both asterisk-en and asterisk-es).
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace dubkit {

struct RealClip {
  std::string audio;    // path of the recording (any format FFmpeg reads)
  std::string id;       // unique in the corpus, file-name safe
  std::string speaker;  // source and voice
  std::string group;    // speakers that may be one person, split together ("" = the speaker alone)
  std::string lang;     // corpus language code (text/phonemizer.hpp espeak_language): "ru", "pt-br"
  std::string text;     // what is said; "" when the source has no transcript in the spoken language
  // False when the label may cover several people (Tux Paint's French has two volunteers) or
  // one person may have labels outside its group (Fish Fillets' minor characters may share
  // actors): such speakers are only trained on, never held out.
  bool testable = true;
};

struct SourceListing {
  std::vector<RealClip> clips;
  int transcripts_without_audio = 0;  // counted, never fatal
  int audio_without_transcript = 0;   // recordings left out for want of a transcript
  int malformed_lines = 0;            // transcript lines the parsers could not read
};

struct RealSource {
  std::string name;
  std::vector<std::string> packages;  // fetched together; the listing gets their roots in this order
  std::string voices;                 // who speaks, as the packages' copyright files name them
  std::string copyright;              // the holders of the recordings, from the copyright files
  std::string licence;
  std::function<SourceListing(const std::vector<std::string>& roots)> list;  // throws IoError / FormatError
};

// Every source, in a fixed order.
const std::vector<RealSource>& real_sources();
// Throws InvalidArgument naming the unknown name and listing the known ones.
const RealSource& real_source(const std::string& name);

// A package's locale name as a corpus language: "pt_BR" -> "pt-br", "en_US" -> "en", "it_IT" -> "it".
std::string corpus_language(const std::string& locale);

// Reads a text file, gunzipping it when compressed. Throws IoError naming it.
std::string read_text_file(const std::string& path);

}  // namespace dubkit
