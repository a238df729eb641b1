// The translated, timed script of a dub: one line of target-language text per cue.
//
// Read from SubRip (.srt) or WebVTT (.vtt) through FFmpeg (video/subtitles.hpp), then:
//   text     markup removed (<i>, <v Name>, <c.x>, {\an8}, inline timestamps), the five HTML
//            entities WebVTT uses decoded, lines joined with spaces, whitespace collapsed
//   encoding must be UTF-8 (UTF-16 with a byte-order mark is converted by FFmpeg); any other
//            encoding is refused with the cue and the first bad byte, never guessed
//   empty    cues with no text left are skipped and listed (FFmpeg itself drops cues with no
//            text line at all, so those are not listed)
//   order    cues are numbered 1.. in order of start time; a cue must end after it starts and
//            must not overlap the next one (dubbing speaks one line at a time): refused,
//            naming every overlapping pair with its times
#pragma once

#include <string>
#include <vector>

namespace dubkit {

struct ScriptLine {
  int index = 0;             // 1-based, in time order among all cues (skipped ones included)
  double start = 0, end = 0; // seconds on the video's timeline
  std::string text;          // cleaned UTF-8
  double slot() const { return end - start; }
};

struct SkippedCue {
  int index = 0;
  double start = 0, end = 0;
  std::string reason;
};

struct Script {
  std::vector<ScriptLine> lines;
  std::vector<SkippedCue> skipped;
};

// Throws FormatError naming `name` (and the cue) for text that is not UTF-8, a cue that ends
// before it starts, overlapping cues, or a script with no line to speak.
Script parse_script(const std::string& text, const std::string& name);
Script read_script(const std::string& path);  // IoError when unreadable

// Throws InvalidArgument listing every line that ends after `video_seconds` (with its times).
void check_script_within(const Script& s, double video_seconds, const std::string& name);

// The cleaned text of one cue payload (exposed for tests).
std::string clean_cue_text(const std::string& raw);

}  // namespace dubkit
