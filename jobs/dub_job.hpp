// The dub job: an actor's footage, their consented voice profile and a translated, timed
// script in, the dubbed video out: the actor speaking the new lines in their own voice, with
// matching lip movements, published. The render gate re-checks the voice for "dubbing" in
// the script's language and its record for "lip-sync" before any work; then the stages of
// dub/dub_stages.hpp run in order (plan, synthesize, mix, mark, render, score), the gate signs
// and logs the video, and the report OUTPUT.dub.json (dub/dub_report.hpp) is written.
//
// Resuming: lines are kept in the work directory under a key of everything that makes them;
// with `resume` a finished line whose key matches is reused. The video is re-rendered whole on
// every run (frames are not resumable). What the dub wrote to the work directory is removed
// after it succeeds unless `keep_work` (other files in a --work-dir stay).
//
// Memory: frames stream (lipsync_video holds a few batches); the audio of the whole timeline
// is held (48 kHz mono float: 11.5 MB per minute).
//
// A video without any face is still dubbed, audio only: its frames pass through, the report has
// frames_changed 0 and no sync figures, and the caller should warn.
// One dub at a time per process (LibTorch's global thread count).
#pragma once

#include <functional>
#include <string>

#include "dub/dub_options.hpp"
#include "dub/dub_report.hpp"
#include "jobs/render_gate.hpp"

namespace dubkit {

// The on-screen disclosure of a dub.
inline constexpr const char* kDubLabel = "Dubbed: synthetic voice and lip movement (AI-generated)";

struct DubJobOptions {
  DubOptions dub;
  std::string voice;              // voice profile (.voice)
  std::string lang = "en";        // language of the script; the voice's consent must cover it
  PublishOptions publish;
  void validate() const;          // throws InvalidArgument naming the flag
};

struct DubProgress {
  std::string stage;  // "plan", "synthesis", "mix", "lipsync", "sync", "sign"
  double stage_fraction = 0, overall_fraction = 0;
};

// Throws ConsentRefused before any work, FormatError (script, video), InvalidArgument (options,
// cues past the video's end, lines that cannot fit: all listed with needed and available
// seconds), IoError. The report's report_path names the JSON written.
DubReport dub_job(const DubJobOptions& o, const std::function<void(const DubProgress&)>& progress = {});

}  // namespace dubkit
