// The convolution unit every Wav2Lip-family network is built from (public models/conv.py):
//   "conv_block.0" Conv2d or ConvTranspose2d, "conv_block.1" BatchNorm2d, then ReLU; with
//   `residual` the input is added before the ReLU (needs cin == cout and stride 1).
// The discriminator's variant has no BatchNorm and a LeakyReLU(0.01) ("nonorm" in the public
// code). Names equal the public state-dict keys below the block's own prefix.
//
// Thread safety: forward() in eval mode under torch::NoGradGuard writes no state; in training
// mode BatchNorm updates its running statistics.
#pragma once

#include <torch/torch.h>

#include <array>
#include <vector>

namespace dubkit {

struct ConvSpec {
  int cin = 0, cout = 0;
  int kernel = 3;
  std::array<int, 2> stride{1, 1};     // (height, width)
  int padding = 1;
  bool residual = false;
  bool transposed = false;             // ConvTranspose2d (decoders)
  int output_padding = 0;              // transposed only
  bool batch_norm = true;              // false: nonorm (LeakyReLU 0.01, no BatchNorm)
};

class ConvUnitImpl : public torch::nn::Module {
 public:
  explicit ConvUnitImpl(const ConvSpec& spec);
  torch::Tensor forward(const torch::Tensor& x);
  const ConvSpec& spec() const { return spec_; }
  // Inference only: folds the BatchNorm's running statistics and affine into the convolution
  // (same output, one pass less over the activations) and skips the BatchNorm from then on.
  // The module's tensors no longer mean what their names say: do not train or save it after.
  void fold_batch_norm();

 private:
  ConvSpec spec_;
  bool folded_ = false;
  torch::nn::Sequential conv_block{nullptr};  // "conv_block.0.weight" [cout, cin, k, k] ([cin, cout, k, k] transposed)
  torch::nn::Conv2d conv_{nullptr};           // conv_block.0 (one of these two)
  torch::nn::ConvTranspose2d deconv_{nullptr};
  torch::nn::BatchNorm2d norm_{nullptr};      // conv_block.1
};
TORCH_MODULE(ConvUnit);

// A Sequential of ConvUnits, so that a stage's units are named "0", "1", ... as in the public code.
torch::nn::Sequential conv_stack(const std::vector<ConvSpec>& specs);

// The mel-window encoder both networks share: [B, 1, 80, 16] -> [B, 512w, 1, 1] through stages
// of 32, 64, 128, 256 channels (strides (3,1), 3, (3,2) between them), then a 3x3 valid and a
// 1x1 conv. The stages carry 2, 2, 2 and `last_stage_residuals` residual units (generator 1,
// expert 2).
std::vector<ConvSpec> mel_encoder_specs(double width, int last_stage_residuals);

// ConvUnit::fold_batch_norm on every unit inside `module`.
void fold_batch_norms(torch::nn::Module& module);

// round(channels * width), at least 8: the channel count of a narrowed network.
int scaled_channels(int channels, double width);

}  // namespace dubkit
