#include "lipsync/reference_mouth.hpp"

#include <algorithm>
#include <cmath>

namespace dubkit {

void ReferenceMouth::update(PendingFrame& p, const Landmarks& raw) {
  const double gap = inner_lip_gap(raw) / face_height(raw);
  const bool closer = reference_.empty() || gap < gap_;
  if (closer) reference_ = p.crop, gap_ = gap;
  p.reference = reference_;
  if (!closer && p.silence <= 0) return;
  if (sharp_size_ == 0) {
    const cv::Matx23d& m = p.alignment.to_frame;
    const double scale = std::sqrt(std::abs(m(0, 0) * m(1, 1) - m(0, 1) * m(1, 0)));
    sharp_size_ = std::clamp(static_cast<int>(std::lround(size_ * scale)), size_, 1024);
  }
  const FaceAlignment sharp = align_face(p.landmarks, sharp_size_);
  if (closer) sharp_reference_ = warp_to_crop(p.frame, sharp);
  if (p.silence > 0) p.sharp_reference = sharp_reference_, p.sharp_alignment = sharp;
}

}  // namespace dubkit
