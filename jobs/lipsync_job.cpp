#include "jobs/lipsync_job.hpp"

#include <filesystem>
#include <optional>

#include "core/error.hpp"
#include "jobs/version.hpp"

namespace dubkit {

void LipSyncJobOptions::validate() const {
  video.validate();
  if (std::filesystem::path(video.output).extension() != ".mp4")
    throw InvalidArgument("lipsync: output '" + video.output + "' must be an .mp4 (the signed manifest is embedded as a box)");
  if (!video.label.empty()) throw InvalidArgument("lipsync: the disclosure label is the render gate's to draw");
  if (video.mark) throw InvalidArgument("lipsync: the frames' mark is the render gate's to make");
  if (consent.empty()) throw InvalidArgument("lipsync: --consent is required");
}

std::optional<ManifestRegion> changed_region(const LipSyncVideoReport& r) {
  if (r.frames_changed == 0) return std::nullopt;
  return ManifestRegion{r.first_changed, r.last_changed, r.changed_box.x, r.changed_box.y, r.changed_box.width,
                        r.changed_box.height};
}

LipSyncJobReport lipsync_job(const LipSyncJobOptions& o, const std::function<void(long, long)>& progress) {
  o.validate();
  RenderGate gate = RenderGate::for_performer(o.consent, "lip-sync", o.publish);
  gate.claim(o.video.output);
  LipSyncVideoOptions v = o.video;
  if (gate.disclose()) v.label = kDisclosureLabel;
  VideoMarker marker = gate.video_marker();
  v.mark = [&marker](cv::Mat& bgr, const cv::Mat& region, double pts) { marker.mark(bgr, region, pts); };
  LipSyncJobReport r;
  r.video = lipsync_video(v, progress);
  gate.publish(lipsync_manifest(gate.consent(), gate.output_id(), v.output, v.video, v.audio, {v.model},
                                software_name("lipsync"), changed_region(r.video)),
               marker.payloads(), "on-screen label", "lipsync");
  r.output_id = gate.output_id();
  r.consent_id = gate.consent().id;
  r.watermark_payloads = marker.payloads();
  return r;
}

}  // namespace dubkit
