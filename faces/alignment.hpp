// Similarity alignment of a face onto a canonical square crop, the input framing of the
// Wav2Lip-style lip-sync generator, and back.
//
// The canonical template is dlib's mean face (the mean shape stored in
// shape_predictor_68_face_landmarks.dat, in units of its detection box) placed in the crop at
//   u = (mean_x - 0.5) / 1.2 + 0.5,   v = (mean_y - 0.06) / 1.2
// in units of the crop side, i.e. crop pixel (u * size - 0.5, v * size - 0.5) (pixel (0, 0)
// is centred at 0, its area spans [-0.5, 0.5)). For the mean face that puts the brows at
// 0.08 of the height, the eyes at 0.21, the nose tip at 0.41, the nose base at 0.48, the upper
// lip at 0.55, the lower lip at 0.66 and the closed chin at 0.84, leaving room for a wide-open
// jaw; the jaw spans 0.11..0.89 across. The generator masks the lower half of the crop, which
// thus holds the whole mouth and chin while the upper half keeps the eyes and nose bridge.
// Only the eyes (36-47) and nose (27-35) are fitted: speech moves the lips and jaw, and a crop
// that followed them would bounce with every syllable.
#pragma once

#include <opencv2/core.hpp>

#include "faces/landmarks.hpp"

namespace dubkit {

struct FaceAlignment {
  cv::Matx23d to_crop;   // frame pixels -> crop pixels (rotation, uniform scale, translation)
  cv::Matx23d to_frame;  // its exact inverse, for pasting generated crops back
  int size = 0;          // the crop is size x size pixels
};

// The least-squares similarity taking l's eyes and nose onto the template in a crop of
// `crop_size` pixels (the generator uses 96; 128, 192, 256 for larger models). Throws
// InvalidArgument for crop_size < 16 or degenerate landmarks (all at one point).
FaceAlignment align_face(const Landmarks& l, int crop_size);

// The crop, size x size, same type as `frame` (BGR). Pixels outside the frame repeat its
// border. Faces much larger than the crop are area-averaged first, so the crop does not alias.
cv::Mat warp_to_crop(const cv::Mat& frame, const FaceAlignment& a);

// A point through a 2x3 affine transform.
cv::Point2d transform_point(const cv::Matx23d& m, const cv::Point2d& p);

}  // namespace dubkit
