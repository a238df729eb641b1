// The tensors the lip-sync networks take, built exactly as the public Wav2Lip builds them.
//
// Mel windows: the `wav2lip-16k` mel runs at 80 frames/s (hop 200 at 16 kHz, frame m centred
// at m / 80 s). The window of a video frame shown at t seconds is the 16 mel frames starting at
// round(80 t), the frame's own presentation time, so variable frame rates stay in sync. (The
// public code truncates, int(i * 80 / fps): with a public checkpoint at 25 fps, 2 frames in 5
// get a window one mel frame, 12.5 ms, later than it was trained with.) Windows that would run
// past the end are moved back to end at the last mel frame, as the public inference does.
//
// Faces: aligned BGR crops (CV_8UC3, S x S) become float [0, 1] in BGR channel order (the public
// models were trained on cv2 images, never converted to RGB).
#pragma once

#include <torch/torch.h>

#include <opencv2/core.hpp>

#include <vector>

#include "audio/features.hpp"

namespace dubkit {

inline constexpr double kMelFramesPerSecond = 80.0;  // wav2lip-16k: 16000 Hz / hop 200
inline constexpr int kMelWindow = 16;                // mel frames per window (0.2 s)

// First mel frame of the window for a video frame at `seconds`, clamped to [0, T - 16].
long mel_window_start(double seconds, long mel_frames);

// mel [80, T] (T >= 16) -> [N, 1, 80, 16], one window per time in `seconds`. Throws
// InvalidArgument when the mel is shorter than one window.
torch::Tensor mel_windows(const FeatureMatrix& mel, const std::vector<double>& seconds);

// S x S BGR crops -> [N, 3, S, S] float in [0, 1] (a copy; the Mats may be freed afterwards).
torch::Tensor crops_to_tensor(const std::vector<cv::Mat>& crops);

// [3, S, S] float in [0, 1] -> S x S BGR CV_8UC3 (rounded, clamped; a new Mat owning its pixels).
cv::Mat tensor_to_crop(const torch::Tensor& chw);

// The generator's input: `target` [N, 3, S, S] with its lower half (rows S/2 .. S-1) zeroed,
// then `reference` [N, 3, S, S] of the same face -> [N, 6, S, S].
torch::Tensor generator_input(const torch::Tensor& target, const torch::Tensor& reference);

// Lower halves of S x S crops [N, 3, S, S] at the expert's and the quality discriminator's
// 48 x 96 (area averaging when S > 96) -> [N, 3, 48, 96].
torch::Tensor lower_halves(const torch::Tensor& crops);

// The expert's face input from `frames` consecutive crops per sample: crops [B, frames, 3, S, S]
// -> lower halves scaled to 48 x 96 (area averaging when S > 96), concatenated along channels
// in time order -> [B, 3 * frames, 48, 96].
torch::Tensor expert_faces(const torch::Tensor& crops);

}  // namespace dubkit
