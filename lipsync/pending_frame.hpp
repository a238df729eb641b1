// One output frame on its way through the lipsync job's stages (lipsync_video.hpp): the face
// stage fills it, the generate stage replaces its crop, the composite stage pastes the crop
// back and draws on the frame, the encoder writes it. One stage owns it at a time (it moves
// through the queues), so it needs no locking.
#pragma once

#include <opencv2/core.hpp>

#include "faces/alignment.hpp"
#include "faces/landmarks.hpp"

namespace dubkit {

struct PendingFrame {
  cv::Mat frame;                 // BGR, the frame as shown (its pixels are written in place)
  double pts = 0, duration = 0;  // output timeline, seconds; duration as decoded (0 = unknown)
  bool face = false;             // to be re-rendered: the chosen face is tracked and the frame is in the spans
  bool tracked = false;          // the chosen face is tracked (landmarks set)
  FaceAlignment alignment;       // of `crop` in the frame (set when `face`)
  Landmarks landmarks;           // the chosen face, smoothed, frame pixels (set when `tracked`)
  cv::Mat crop;                  // the aligned input crop, then the generated one
  cv::Mat reference;             // the generator's reference crop (ReferenceMouth)
  // Silence gate: weight of the reference's mouth over the generated one; when above 0, the
  // reference at the face's own resolution and the frame's alignment for it.
  double silence = 0;
  cv::Mat sharp_reference;
  FaceAlignment sharp_alignment;
};

}  // namespace dubkit
