// `dubkit sync batch`: many videos scored by one expert, several at once, into one CSV that
// can be resumed. Built for research sets of thousands of files, so a file that cannot be
// scored becomes a row saying why, never a stopped run.
//
// The list: one video path per line; blank lines and lines starting with '#' are skipped;
// relative paths are taken from the list's directory (as `sync make-set` writes them), and
// each row's `file` is the path exactly as the list gives it (so it joins with labels.csv).
//
// The results, one row per file in the order they finish:
//   file, status, offset, confidence, confidence_at_zero, lse_d, lse_c, frames, face_frames,
//   windows, faces, fps, model, seconds, error
// status: ok | no_audio | no_face | too_short (sync/sync_score.hpp) | unreadable (missing,
// corrupt or not a video) | error (anything else; the message is in `error`). Numbers are empty
// when there is no score. Rows are appended and flushed one by one: when the output exists,
// the files it already holds are skipped (a row cut short by an interrupted run is dropped and
// scored again), so rerunning the same command resumes it. The existing header must match.
#pragma once

#include <functional>
#include <string>

#include "sync/sync_score.hpp"

namespace dubkit {

struct SyncBatchOptions {
  std::string list;
  std::string output;
  std::string expert;        // weight file (sync/sync_judge.hpp)
  int jobs = 2;              // files scored at once
  SyncScoreOptions score;    // max_offset, face, batch (audio and audio_shift must be left empty)
  void validate() const;     // InvalidArgument naming the flag
};

struct SyncBatchReport {
  long files = 0;      // in the list
  long skipped = 0;    // already in the output
  long scored = 0;     // rows written with status ok
  long failed = 0;     // rows written with another status
  double seconds = 0;  // wall time
};

// Throws IoError when the list cannot be read or the output cannot be written, FormatError
// when the existing output is not a results table of this layout, plus what loading the
// expert throws. `progress(done, total)` counts this run's files.
SyncBatchReport run_sync_batch(const SyncBatchOptions& opts, const std::function<void(long done, long total)>& progress = {});

// The list's entries (as written) and their resolved paths. IoError when unreadable.
std::vector<std::pair<std::string, std::string>> read_video_list(const std::string& list);

}  // namespace dubkit
