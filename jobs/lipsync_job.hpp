// The lipsync job: a performer's mouth re-rendered to new speech, published. The render gate
// re-checks the performer's consent record for "lip-sync" before any work; the video is made
// by lipsync_video (lipsync/lipsync_video.hpp), with the on-screen disclosure label unless
// left out, then signed (the source video and the speech as ingredients, the re-rendered
// frames and box as the region) and logged.
//
// One job at a time per process (LibTorch's thread settings are global).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "jobs/render_gate.hpp"
#include "lipsync/lipsync_video.hpp"

namespace dubkit {

struct LipSyncJobOptions {
  LipSyncVideoOptions video;     // its `label` is the gate's to set: leave it empty
  std::string consent;           // the performer's signed consent record (use "lip-sync")
  PublishOptions publish;
  void validate() const;         // throws InvalidArgument naming the flag
};

struct LipSyncJobReport {
  LipSyncVideoReport video;
  std::string output_id, consent_id;
  std::vector<std::uint32_t> watermark_payloads;  // of the seconds whose frames carry the mark
};

// Throws ConsentRefused before any work, InvalidArgument, what lipsync_video and the signing
// throw. A video where no face was tracked is still published, unchanged but for the sound
// (video.frames_changed == 0: the caller decides whether to warn).
LipSyncJobReport lipsync_job(const LipSyncJobOptions& o, const std::function<void(long done, long total)>& progress = {});

// The manifest's region of a re-rendered video: its first and last changed frames and the box
// around every pasted mouth; none when no frame changed.
std::optional<ManifestRegion> changed_region(const LipSyncVideoReport& r);

}  // namespace dubkit
