// The discriminators of the HiFi-GAN recipe (Kong et al. 2020), used only for training:
// multi-period (MPD: periods 2, 3, 5, 7, 11; the waveform folded into [T/p, p] and judged by 2-D
// convs along time) and multi-scale (MSD: the waveform at 1x, 1/2x and 1/4x rate through strided
// grouped 1-D convs). Names equal the public checkpoint's ("mpd.discriminators.i.convs.j.weight",
// "msd.discriminators.i.conv_post.bias", ...); the public files also hold weight-norm / spectral
// -norm factors, which dubkit does not use (plain convolutions: they train the same here and
// the discriminators never leave a training run).
//
// `width` scales every channel count (1 = the public sizes): the full MPD costs ~4.6 GMAC per
// half-second segment, too much for a 2-core training run, so dubkit's default trains at 1/4.
//
// Each discriminator returns its score map and its feature maps (for feature matching).
#pragma once

#include <torch/torch.h>

#include <vector>

namespace dubkit {

struct DiscriminatorOutput {
  std::vector<torch::Tensor> scores;                 // one per sub-discriminator, [B, n]
  std::vector<std::vector<torch::Tensor>> features;  // per sub-discriminator, every layer's output
};

class PeriodDiscriminatorImpl : public torch::nn::Module {
 public:
  PeriodDiscriminatorImpl(int period, double width);
  // audio [B, 1, N] -> {score [B, n], feature maps}.
  std::pair<torch::Tensor, std::vector<torch::Tensor>> forward(const torch::Tensor& audio);

 private:
  int period_;
  torch::nn::ModuleList convs{nullptr};  // "convs.j.weight" [C_j, C_j-1, 5, 1]
  torch::nn::Conv2d conv_post{nullptr};  // "conv_post.weight" [1, C, 3, 1]
};
TORCH_MODULE(PeriodDiscriminator);

class ScaleDiscriminatorImpl : public torch::nn::Module {
 public:
  explicit ScaleDiscriminatorImpl(double width);
  std::pair<torch::Tensor, std::vector<torch::Tensor>> forward(const torch::Tensor& audio);

 private:
  torch::nn::ModuleList convs{nullptr};  // "convs.j.weight" [C_j, C_j-1 / groups, k]
  torch::nn::Conv1d conv_post{nullptr};  // "conv_post.weight" [1, C, 3]
};
TORCH_MODULE(ScaleDiscriminator);

class MultiPeriodDiscriminatorImpl : public torch::nn::Module {
 public:
  explicit MultiPeriodDiscriminatorImpl(double width);
  DiscriminatorOutput forward(const torch::Tensor& audio);

 private:
  torch::nn::ModuleList discriminators{nullptr};  // "discriminators.i.*", periods 2, 3, 5, 7, 11
};
TORCH_MODULE(MultiPeriodDiscriminator);

class MultiScaleDiscriminatorImpl : public torch::nn::Module {
 public:
  explicit MultiScaleDiscriminatorImpl(double width);
  DiscriminatorOutput forward(const torch::Tensor& audio);

 private:
  torch::nn::ModuleList discriminators{nullptr};  // "discriminators.i.*", at 1x, 1/2x, 1/4x
};
TORCH_MODULE(MultiScaleDiscriminator);

// The recipe's least-squares GAN and feature-matching losses over all sub-discriminators.
torch::Tensor discriminator_loss(const DiscriminatorOutput& real, const DiscriminatorOutput& fake);  // sum (1-D(y))^2 + D(g)^2
torch::Tensor generator_adversarial_loss(const DiscriminatorOutput& fake);                           // sum (1-D(g))^2
torch::Tensor feature_matching_loss(const DiscriminatorOutput& real, const DiscriminatorOutput& fake);  // sum |f(y) - f(g)|

}  // namespace dubkit
