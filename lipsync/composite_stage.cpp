#include "lipsync/composite_stage.hpp"

#include <chrono>

#include <opencv2/imgproc.hpp>

#include "lipsync/disclosure_label.hpp"

namespace dubkit {

void CompositeStage::operator()(PendingFrame& p) {
  const auto t0 = std::chrono::steady_clock::now();
  if (p.face && p.silence > 0) {
    cv::resize(p.crop, p.crop, p.sharp_reference.size(), 0, 0, cv::INTER_LINEAR);
    cv::addWeighted(p.sharp_reference, p.silence, p.crop, 1 - p.silence, 0, p.crop);
    p.alignment = p.sharp_alignment;
  }
  if (p.face) {
    const cv::Mat mask = composite_face(p.frame, p.crop, p.alignment, p.landmarks, composite_);
    if (cv::countNonZero(mask) > 0) {
      ++tally_.changed;
      tally_.changed_box |= cv::boundingRect(mask);
      if (tally_.first_changed < 0) tally_.first_changed = tally_.frames;
      tally_.last_changed = tally_.frames;
      if (mark_) mark_(p.frame, mask, p.pts);
    }
  }
  ++tally_.frames;
  if (on_frame_) on_frame_(p.frame, p.tracked ? &p.landmarks : nullptr, p.pts);
  if (!label_.empty()) draw_disclosure_label(p.frame, label_);
  tally_.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace dubkit
