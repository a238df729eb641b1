// The dub report (OUTPUT.dub.json): what `dubkit dub` made of every line and of the whole video.
// The dub job (jobs/dub_job.hpp) fills and writes it; dub-check (dub/dub_check.hpp) and the review
// page (review/review_page.hpp) read it. One type with one writer and one reader, so a renamed
// field breaks the build, not a reader. Needs no link to the dubbing pipeline (target
// dubkit::dub_report).
//
// Versions: "version" is the major version. A reader refuses a report of another format or of
// a major version it does not know; a minor change only adds fields, which readers ignore.
//
// Reading is tolerant of what is missing (older or hand-made reports), strict about types:
// only "format", "version" and each line's "start" and "end" are required. A missing or null
// number reads as NaN (and every number that is not finite is written as null), a missing text
// as "", a missing count, flag or list as 0, false or empty. A field of the wrong type is a
// FormatError naming the file and the field ("lines[2].start").
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/error.hpp"
#include "dub/mix.hpp"

namespace dubkit {

inline constexpr const char* kDubReportFormat = "dubkit-dub-report";
inline constexpr int kDubReportVersion = 1;  // the major version this dubkit writes and reads

struct DubLine {
  int index = 0;                  // the cue's number; missing: its position in "lines" (1..)
  double start = 0, end = 0;      // the cue's slot on the video's timeline, seconds
  std::string text;
  double natural_seconds = 0, target_seconds = 0, achieved_seconds = 0, available_seconds = 0, stretch = 1;
  std::string fit;
  double speech_start = 0, speech_end = 0;  // where the line's audio sits on the timeline
  bool resumed = false;                     // taken from the work directory
  bool synced = false;                      // the expert judged the line: sync_offset and sync_confidence
                                            // hold its figures (else they are written null)
  int sync_offset = 0;
  double sync_confidence = 0;
  long sync_windows = 0;                    // the expert's windows over the line
  std::vector<std::uint32_t> watermark_payloads;  // of the one-second blocks the line overlaps

  double slot_seconds() const { return end - start; }
};

// The performer's consent as the dub used it.
struct DubVoice {
  std::string name, consent, performer, studio;  // profile name, consent record id, its parties
  std::vector<std::string> uses;                 // the uses the record permits
};

struct DubReport {
  // What was asked: the dub's options as given, the voice's language.
  std::string output, video, script, background, lang, source_lang;
  std::string output_id;              // the manifest's instance id and the watermark's
  DubVoice voice;
  double fps = 0, video_seconds = 0, output_seconds = 0;
  long frames_out = 0, frames_changed = 0, frames_silenced = 0;
  int audio_rate = 0;                 // Hz delivered
  double target_lufs = 0;
  MixReport mix;
  std::string bed;                    // silence | background | original
  bool synced = false;                // sync figures exist (a face was tracked); else "sync" is null
  int sync_offset = 0;
  double sync_confidence = 0;
  std::vector<double> window_seconds, window_confidence;
  std::vector<int> window_offset;
  std::vector<std::uint32_t> watermark_payloads;
  std::vector<DubLine> lines;
  std::vector<std::pair<int, std::string>> skipped;  // cue index, reason
  std::vector<std::pair<std::string, double>> stages;  // wall seconds per stage, in order; "total" last
  std::string report_path;            // where the dub job wrote it (not part of the JSON)

  // The report's JSON, fields in the documented order.
  nlohmann::ordered_json to_json() const;
  // Throws FormatError naming `where` (the file) and the field, as described at the top.
  static DubReport from_json(const nlohmann::ordered_json& j, const std::string& where);
};

// Reads a report file (at most 64 MiB: a report lists lines and windows, not media). Throws
// IoError, FormatError naming the file.
DubReport read_dub_report(const std::string& path);

// Writes to_json() (two-space indent, final newline) through core/atomic_file.hpp. Throws IoError.
void write_dub_report(const std::string& path, const DubReport& report);

// The FormatError the reader throws for a field: "PATH: dub report field "FIELD" WHAT". For
// readers that need a field the format leaves optional.
FormatError dub_report_field_error(const std::string& path, const std::string& field, const std::string& what);

}  // namespace dubkit
