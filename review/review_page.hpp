// The review page of a dub: one static HTML file a reviewer opens from disk (file://, no
// network, no external scripts or styles) to judge a dubbed video before it is published.
// It shows the original and the dubbed video side by side with mirrored playback, the line
// table of the dub report (timing, fit, sync, watermark payloads), a mel spectrogram and a
// waveform envelope of each line as dubbed, the sync-confidence timeline and the provenance
// of the dubbed file as its signed manifest states it.
//
// Layout of the output folder (everything the page links is inside it, by relative links, so
// the folder can be moved or archived whole):
//   DIR/index.html      the page
//   DIR/original.mp4    copy of the source video
//   DIR/dubbed.mp4      copy of the dubbed video
//   DIR/lines/NNN.png   wav2lip-16k mel spectrogram of line NNN's span of the dubbed audio
//
// Every text that comes from the report, the manifest or file names is HTML-escaped: cue
// text is untrusted input. The only script is the page's own, and it reads no such text; the
// page's Content-Security-Policy allows that script alone (by its hash) and no network.
#pragma once

#include <string>

#include "review/format.hpp"  // html_escape, part of this interface

namespace dubkit {

struct ReviewOptions {
  std::string dubbed;     // the dubbed MP4
  std::string report;     // "" = dubbed + ".dub.json"
  std::string original;   // "" = the report's "video" (resolved as described in write_review)
  std::string out_dir;    // created when missing
  std::string trust_dir;  // "" = TrustStore::default_dir()
  // Throws InvalidArgument naming the option: dubbed or out_dir empty, out_dir an existing
  // file that is not a folder.
  void validate() const;
};

struct ReviewResult {
  std::string index_html;         // DIR/index.html
  int lines = 0;                  // rows in the line table
  std::string provenance_status;  // to_string(ManifestStatus) of the dubbed file
};

// Writes the review page. The report's relative paths are relative to the folder its writer
// ran in, which is unknown here: the original video is looked for as given (absolute, or from
// the current folder), then from the folder the report's "output" implies (the dubbed path
// with the report's relative output path stripped), then beside the report and beside the
// dubbed file by file name.
// Throws InvalidArgument (options; no original video named anywhere; an output that would
// overwrite an input), IoError (a file that cannot be read or written; the original video not
// found, naming the places tried), FormatError naming the file (a report that is not JSON,
// whose "format" is not "dubkit-dub-report" or whose major version this dubkit does not read,
// or whose fields have the wrong types: dub/dub_report.hpp; a video FFmpeg cannot read).
// Missing optional report fields leave their cells empty. A dubbed video without an audio
// track gets a page without spectrograms and waveforms (said on the page).
ReviewResult write_review(const ReviewOptions& o);

}  // namespace dubkit
