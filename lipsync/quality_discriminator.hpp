// Wav2Lip's visual quality discriminator (public models/wav2lip.py, Wav2Lip_disc_qual): judges
// whether the lower half of one face looks real. Used only in training, for the optional GAN
// loss of `dubkit train lipsync`; names follow the public checkpoint (wav2lip_gan.pth's
// discriminator, disc_*.pth).
//
//   face [B, 3, S, S] ─ lower half, area-scaled to 48 x 96 ─ face_encoder_blocks.0 .. 6
//   (convs without BatchNorm, LeakyReLU 0.01) ─ binary_pred (1x1 conv, sigmoid) ─► P(real) [B]
//
// Thread safety: forward() in eval mode under torch::NoGradGuard writes no state.
#pragma once

#include <torch/torch.h>

namespace dubkit {

class QualityDiscriminatorImpl : public torch::nn::Module {
 public:
  explicit QualityDiscriminatorImpl(double width = 1.0);  // channel multiplier, (0, 1]
  // faces [B, 3, S, S] in [0, 1] -> probability that each is real, [B].
  torch::Tensor forward(const torch::Tensor& faces);

 private:
  torch::nn::ModuleList face_encoder_blocks{nullptr};  // "face_encoder_blocks.i.j.conv_block.0.weight"
  torch::nn::Sequential binary_pred{nullptr};          // "binary_pred.0.weight" [1, 512w, 1, 1]
};
TORCH_MODULE(QualityDiscriminator);

}  // namespace dubkit
