#include "lipsync/inputs.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.hpp"

namespace dubkit {

long mel_window_start(double seconds, long mel_frames) {
  const long start = std::lround(seconds * kMelFramesPerSecond);
  return std::clamp(start, 0L, std::max(0L, mel_frames - kMelWindow));
}

torch::Tensor mel_windows(const FeatureMatrix& mel, const std::vector<double>& seconds) {
  if (mel.cols < kMelWindow)
    throw InvalidArgument("mel windows: the mel has " + std::to_string(mel.cols) + " frames, fewer than one window (" +
                          std::to_string(kMelWindow) + ", 0.2 s)");
  // from_blob does not own: the Mel outlives this function's use of it, and index_select copies.
  const torch::Tensor m = torch::from_blob(const_cast<float*>(mel.data.data()), {mel.rows, mel.cols});
  std::vector<torch::Tensor> windows;
  windows.reserve(seconds.size());
  for (double t : seconds) windows.push_back(m.narrow(1, mel_window_start(t, mel.cols), kMelWindow));
  if (windows.empty()) return torch::empty({0, 1, mel.rows, kMelWindow});
  return torch::stack(windows).unsqueeze(1);
}

torch::Tensor crops_to_tensor(const std::vector<cv::Mat>& crops) {
  std::vector<torch::Tensor> out;
  out.reserve(crops.size());
  for (const cv::Mat& c : crops) {
    if (c.type() != CV_8UC3 || c.rows != c.cols)
      throw InvalidArgument("lip-sync input: a face crop must be square BGR 8-bit, got " + std::to_string(c.cols) + "x" +
                            std::to_string(c.rows) + " type " + std::to_string(c.type()));
    const cv::Mat cont = c.isContinuous() ? c : c.clone();
    // from_blob over `cont`, which lives until the end of this iteration; permute+div copies.
    out.push_back(torch::from_blob(cont.data, {cont.rows, cont.cols, 3}, torch::kUInt8)
                      .permute({2, 0, 1})
                      .to(torch::kFloat32)
                      .div(255.0));
  }
  if (out.empty()) return torch::empty({0, 3, 0, 0});
  return torch::stack(out);
}

cv::Mat tensor_to_crop(const torch::Tensor& chw) {
  const torch::Tensor hwc =
      chw.detach().mul(255.0).round().clamp(0, 255).to(torch::kUInt8).permute({1, 2, 0}).contiguous();
  cv::Mat out(static_cast<int>(hwc.size(0)), static_cast<int>(hwc.size(1)), CV_8UC3);
  std::memcpy(out.data, hwc.data_ptr<std::uint8_t>(), static_cast<std::size_t>(hwc.numel()));
  return out;
}

torch::Tensor generator_input(const torch::Tensor& target, const torch::Tensor& reference) {
  const long s = target.size(2);
  torch::Tensor masked = target.clone();
  masked.narrow(2, s / 2, s - s / 2).zero_();
  return torch::cat({masked, reference}, 1);
}

torch::Tensor lower_halves(const torch::Tensor& crops) {
  const long s = crops.size(2);
  torch::Tensor lower = crops.narrow(2, s / 2, s - s / 2);
  if (s != 96)
    lower = torch::nn::functional::interpolate(
        lower, torch::nn::functional::InterpolateFuncOptions().size(std::vector<int64_t>{48, 96}).mode(torch::kArea));
  return lower;
}

torch::Tensor expert_faces(const torch::Tensor& crops) {
  const long b = crops.size(0), frames = crops.size(1), s = crops.size(3);
  return lower_halves(crops.reshape({b * frames, 3, s, s})).reshape({b, frames * 3, 48, 96});
}

}  // namespace dubkit
