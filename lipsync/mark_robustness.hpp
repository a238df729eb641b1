// The video mark's robustness table (docs/WATERMARK.md, issue 22 item 17): clips lip-synced with
// the frames' mark under a random key, as the jobs mark them, then re-encoded as a platform or
// a user would, and searched. The same re-encodes of the unmarked clips count false positives.
//
// Not thread-safe across calls that share `work_dir`.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace dubkit {

struct VideoMarkTally {
  std::string attack;
  long expected = 0;         // seconds every frame of which was marked
  long found = 0;            // of those, found at the false-positive limit
  long exact = 0;            // of those found, with the second's payload exactly
  long unmarked = 0;         // seconds searched in the re-encoded unmarked clips
  long false_positives = 0;  // of those, found (should be 0)
  double bit_rate_ratio = 0; // mean over clips: the re-encode's video bit rate / the marked clip's
  double rate() const { return expected ? double(found) / expected : 0; }
};

struct VideoMarkReport {
  long clips = 0, frames_marked = 0;
  double region_psnr_db = 0;  // the mark alone, over the marked regions' pixels, before encoding
  std::vector<VideoMarkTally> attacks;
};

struct VideoMarkRobustnessOptions {
  std::string model;              // lip-sync generator (lipsync/model_files.hpp)
  std::string work_dir;           // temporary files go here (created; emptied of them after)
  std::uint64_t seed = 1;         // the keys
  double max_false_positive = 1e-6;
  std::function<void(const std::string&)> progress;  // optional: a line per clip
};

// `clips`: videos with a face and a sound track (the speech that drives the mouth). Throws
// InvalidArgument for no clips or an empty work_dir, what lip-sync and the codecs throw.
VideoMarkReport evaluate_video_mark(const std::vector<std::string>& clips, const VideoMarkRobustnessOptions& o);

}  // namespace dubkit
