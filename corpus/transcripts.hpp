// Parsers for the transcript formats of the Debian packages that hold real speech
// (real/sources.hpp; the festival prompts also serve the aligner's festvox evaluation). Each
// reads the whole text of one file; a line it cannot read is counted in `malformed` and
// skipped, never fatal, because these files come from outside and one bad line must not cost
// the rest of a source. No file system access: the callers read the files.
#pragma once

#include <string>
#include <vector>

namespace dubkit {

struct TranscriptEntry {
  std::string key;      // what names the audio: a prompt id, a file path, a language code
  std::string text;     // what is said, UTF-8, as the file gives it
  std::string speaker;  // a voice hint where the format has one (fillets: the character's font)
};

struct Transcripts {
  std::vector<TranscriptEntry> entries;
  int malformed = 0;    // lines that looked like entries but could not be read
};

// Festival's etc/txt.done.data: lines `( ru_0001 "text" )`; `\"` inside the text is a quote.
Transcripts parse_festival_prompts(const std::string& content);

// Asterisk's core-sounds-<lang>.txt: `key: text` lines, `;` comments. Keys may hold a folder
// ("digits/1"). Lines whose whole text is in brackets ("[this is a simple beep tone]") are
// not speech and are left out (not malformed).
Transcripts parse_asterisk_prompts(const std::string& content);

// Fish Fillets' script/<level>/dialogs_<lang>.lua: `dialogId("id", "font_small", "English")`
// followed by `dialogStr("the line in <lang>")`; key = id, speaker = font. Lua string escapes
// (\" \\ \n \t) are decoded.
Transcripts parse_fillets_dialogs(const std::string& content);

// A Tux Paint stamp's description file: `<lang>.utf8=text` lines (the first line is the English
// text without a prefix, not returned); key = lang ("fr", "pt_BR", "ca@valencia").
Transcripts parse_tuxpaint_description(const std::string& content);

// KDE's sound lists (KLettres' sounds.xml, KTuberling's .soundtheme): `<sound name="A"
// file="en/alpha/a.ogg" />`; key = file, text = name, XML entities decoded.
Transcripts parse_kde_sounds(const std::string& content);

}  // namespace dubkit
