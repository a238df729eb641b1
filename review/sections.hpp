// The review page's sections as HTML: the player, the timelines, the line table, the
// provenance and the dub's summary. Every text from the report, the manifest or a file name is
// escaped; a number the report does not have leaves its cell empty (a dash).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "audio/waveform.hpp"
#include "dub/dub_report.hpp"
#include "provenance/manifest.hpp"

namespace dubkit {

// Both videos (DIR/original.mp4, DIR/dubbed.mp4) and one control set; the seek bar spans t_max seconds.
std::string player_section(double t_max);

// The sync-confidence timeline, and the dubbed track's waveform when there is `audio`.
std::string timeline_section(const DubReport& r, const std::optional<Waveform>& audio, double t_max);

// A row per line and under it the line's picture (`pictures[i]`, a relative link or "") and waveform.
std::string line_table_section(const DubReport& r, const std::vector<std::string>& pictures, const std::optional<Waveform>& audio);

// The manifest's status and claims next to the report's ids and consent (differences noted).
std::string provenance_section(const ManifestVerification& mv, const DubReport& r, const std::string& trust_dir,
                               std::size_t report_payloads);

// Files, language, lengths, sound, sync, stage times and skipped cues.
std::string summary_section(const DubReport& r, const std::string& report_path, const std::string& original);

}  // namespace dubkit
