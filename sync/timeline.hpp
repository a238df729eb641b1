// What `dubkit sync score` writes besides its numbers: the per-window timeline as CSV and a
// chart of it as PNG.
#pragma once

#include <string>

#include "sync/sync_score.hpp"

namespace dubkit {

// One row per scored window, in time order:
//   window, time_s (first frame's presentation time), offset and confidence of the window alone
//   (sync/sync_score.hpp window_sync), distance_at_clip_offset, distance_at_zero,
//   framewise_confidence (the clip's median distance minus distance_at_clip_offset: the public
//   evaluation's per-frame confidence before its 9-frame median filter).
// Empty fields where the window's audio is missing. Written whole or not at all; IoError.
void write_sync_timeline(const SyncScore& s, const std::string& path);

// Two panels: the mean distance per offset with the clip's offset marked, and the framewise
// confidence over time with the public evaluation's 9-window median of it. IoError when
// unwritable.
void write_sync_plot(const SyncScore& s, const std::string& path, const std::string& title);

}  // namespace dubkit
