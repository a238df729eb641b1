// `dubkit corpus presenter`: a synthetic presenter reading lines to camera, the embedded
// sample's source clip, with no real person in it: a procedural face
// (talking_faces/synthetic_face.hpp) whose mouth follows the phone timings of a corpus voice
// (corpus/engines.hpp) reading the lines.
//
// Input: a UTF-8 TSV whose first row names languages ("en<TAB>es<TAB>de") and whose rows are one
// line each in those languages; the first column is the one spoken. Output: the MP4 (H.264 +
// AAC) and, for every column, PREFIX.<lang>.srt with the same cue times: each cue spans its
// spoken line's speech, from the first phone to the last (pauses excluded), so the other
// columns are timed translations of what is said (the dub scripts).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dubkit {

struct PresenterOptions {
  std::string lines;             // the TSV
  std::string output;            // .mp4; scripts are written beside it as <stem>.<lang>.srt
  std::string voice = "flite-slt";  // a base voice id of the first column's language (corpus/engines.hpp)
  std::uint64_t identity = 7;    // FaceIdentity::random seed
  int width = 640, height = 360; // pixels
  double fps = 25;
  double lead = 0.8, gap = 1.2, tail = 1.0;  // seconds of silence before, between and after the lines
  unsigned seed = 1;             // the engine's noise
  void validate() const;         // throws InvalidArgument naming the flag
};

struct PresenterReport {
  double seconds = 0;
  int lines = 0;
  std::vector<std::string> scripts;  // the SRT files written
};

// Throws FormatError for a malformed TSV (naming the row), InvalidArgument for an unknown voice.
PresenterReport render_presenter(const PresenterOptions& o);

}  // namespace dubkit
