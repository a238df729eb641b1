// Timed text cues of SubRip (.srt) and WebVTT (.vtt) files, read by FFmpeg's own demuxers (its
// timestamp parsing, byte-order marks, CRLF, UTF-16 with a BOM converted to UTF-8). Nothing
// here judges the cues: dub/script.hpp cleans the text and checks order, overlaps and encoding.
#pragma once

#include <string>
#include <vector>

namespace dubkit {

struct SubtitleCue {
  double start = 0, end = 0;  // seconds, as the file states them (end < start is possible)
  std::string text;           // the cue's raw payload: lines joined by '\n', markup left in,
                              // bytes as in the file (not checked to be UTF-8)
};

// Cues in the order of their start times (FFmpeg sorts them). The format is WebVTT when the text
// starts with "WEBVTT" (after a byte-order mark), SubRip otherwise. `name` is used in messages.
// Throws FormatError naming `name` when FFmpeg cannot parse the text, or when text that is not
// blank yields no cue at all.
std::vector<SubtitleCue> parse_subtitles(const std::string& text, const std::string& name);

// "HH:MM:SS.mmm" (WebVTT, and how messages show times) or, with decimal ',', SubRip's
// "HH:MM:SS,mmm". Negative times print as 0.
std::string subtitle_time(double seconds, char decimal = '.');

// Reads `path` (at most 16 MiB: a script is text) and parses it. IoError when unreadable.
std::vector<SubtitleCue> read_subtitles(const std::string& path);

}  // namespace dubkit
