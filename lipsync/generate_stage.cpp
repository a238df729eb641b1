#include "lipsync/generate_stage.hpp"

#include <chrono>

#include "lipsync/inputs.hpp"

namespace dubkit {

void GenerateStage::operator()(std::vector<PendingFrame>& batch) {
  std::vector<cv::Mat> crops, references;
  std::vector<double> times;
  for (const PendingFrame& p : batch)
    if (p.face) {
      crops.push_back(p.crop);
      references.push_back(p.reference);
      times.push_back(p.pts);
    }
  if (crops.empty()) return;
  torch::InferenceMode inference;  // thread-local: set on the thread that runs the stage
  const auto t0 = std::chrono::steady_clock::now();
  const torch::Tensor out =
      generator_->forward(mel_windows(mel_, times), generator_input(crops_to_tensor(crops), crops_to_tensor(references)));
  long k = 0;
  for (PendingFrame& p : batch)
    if (p.face) p.crop = tensor_to_crop(out[k++]);
  seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace dubkit
