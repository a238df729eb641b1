// The generator's reference crop in the lipsync job: the crop with the most closed mouth seen
// so far, not the frame itself as in the public inference (the frame's own mouth, moving with
// the old speech, would leak into the new one: lips moving in silence; training draws the
// reference from another frame of the clip, so this matches it better too). For the silence
// gate it is also kept at the face's own resolution in the frame, where a generator-sized crop
// scaled back up would blur a closed mouth into a slightly open one.
//
// "Most closed" is the smallest inner-lip gap (faces/landmarks.hpp) relative to the face's
// height, read on the unsmoothed landmarks (smoothing lags a closing mouth). The first frame
// seen is the first reference; a tie keeps the earlier one.
#pragma once

#include "faces/landmarks.hpp"
#include "lipsync/pending_frame.hpp"

namespace dubkit {

// One per face track, fed its frames in order; not thread-safe.
class ReferenceMouth {
 public:
  // `size`: side of the generator's crops, pixels.
  explicit ReferenceMouth(int size) : size_(size) {}

  // `p` holds a frame to re-render: its frame, landmarks, alignment, crop (the generator's
  // size) and silence weight. Sets p.reference (shared pixels: do not write into it), and, when
  // p.silence > 0, p.sharp_reference with p.sharp_alignment, its alignment in p.frame. Call
  // before p.frame is composited. `raw`: the unsmoothed landmarks of the same face.
  // The sharp size is fixed at the first face: the face's scale there, times `size`, within
  // [size, 1024].
  void update(PendingFrame& p, const Landmarks& raw);

 private:
  const int size_;
  int sharp_size_ = 0;
  cv::Mat reference_, sharp_reference_;
  double gap_ = 0;
};

}  // namespace dubkit
