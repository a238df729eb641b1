// The talking-face corpus (talking_faces/talking_faces.hpp) in memory for the lip-sync trainers, and
// the windows they draw from it.
#pragma once

#include <torch/torch.h>

#include <random>
#include <string>
#include <vector>

#include "audio/features.hpp"

namespace dubkit {

struct FaceClipData {
  std::string id;
  torch::Tensor crops;              // [T, 3, S, S] uint8, BGR aligned crops
  std::vector<bool> valid;          // a face was tracked in frame t
  std::vector<double> times;        // frame presentation times, seconds
  double fps = 25;                  // the clip's frame rate
  FeatureMatrix mel;                // wav2lip-16k mel of the clip's audio, [80, M]
  std::vector<long> starts;         // frames t where frames t .. t+frames-1 are all valid (see load_face_data)
};

// Clips of `split` (train/val/test), at most `max_clips` (0 = all), with their window starts:
// frames t where frames t .. t+frames-1 are all tracked and each one's mel window, moved by up
// to `margin_frames` frames either way, lies inside the audio (training never uses a window
// clamped at an end: its mel would not match the frame). Clips without a start are left out.
// `face_size`: the crops the model needs (InvalidArgument when the corpus has others); 0 takes
// the corpus's own, which must then be the same for every clip. IoError/FormatError naming the
// file when a crops image or audio file is missing or of the wrong size.
std::vector<FaceClipData> load_face_data(const std::string& faces_dir, const std::string& corpus_dir,
                                         const std::string& split, int face_size, int frames, int max_clips,
                                         int margin_frames = 0);

// crops[t .. t+frames) as float [frames, 3, S, S] in [0, 1].
torch::Tensor window_crops(const FaceClipData& clip, long t, int frames);

// A window start of `clip` at least `min_distance` frames from `avoid` (any start when
// avoid < 0); falls back to the farthest start when none is that far.
long draw_start(const FaceClipData& clip, std::mt19937_64& rng, long avoid = -1, long min_distance = 0);

}  // namespace dubkit
