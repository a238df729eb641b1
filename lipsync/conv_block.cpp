#include "lipsync/conv_block.hpp"

#include <algorithm>
#include <cmath>

namespace dubkit {

ConvUnitImpl::ConvUnitImpl(const ConvSpec& spec) : spec_(spec) {
  conv_block = torch::nn::Sequential();
  const std::vector<int64_t> stride{spec.stride[0], spec.stride[1]};
  if (spec.transposed) {
    deconv_ = torch::nn::ConvTranspose2d(torch::nn::ConvTranspose2dOptions(spec.cin, spec.cout, spec.kernel)
                                             .stride(stride)
                                             .padding(spec.padding)
                                             .output_padding(spec.output_padding));
    conv_block->push_back(deconv_);
  } else {
    conv_ = torch::nn::Conv2d(torch::nn::Conv2dOptions(spec.cin, spec.cout, spec.kernel).stride(stride).padding(spec.padding));
    conv_block->push_back(conv_);
  }
  if (spec.batch_norm) {
    norm_ = torch::nn::BatchNorm2d(spec.cout);
    conv_block->push_back(norm_);
  }
  register_module("conv_block", conv_block);
}

void ConvUnitImpl::fold_batch_norm() {
  if (!norm_ || folded_) return;
  torch::NoGradGuard no_grad;
  const torch::Tensor scale = norm_->weight / torch::sqrt(norm_->running_var + norm_->options.eps());
  torch::Tensor weight = conv_ ? conv_->weight : deconv_->weight;
  torch::Tensor bias = conv_ ? conv_->bias : deconv_->bias;
  // Output channels are dim 0 of a Conv2d weight, dim 1 of a ConvTranspose2d one.
  weight.mul_(conv_ ? scale.view({-1, 1, 1, 1}) : scale.view({1, -1, 1, 1}));
  bias.sub_(norm_->running_mean).mul_(scale).add_(norm_->bias);
  folded_ = true;
}

torch::Tensor ConvUnitImpl::forward(const torch::Tensor& x) {
  auto out = folded_ ? (conv_ ? conv_->forward(x) : deconv_->forward(x)) : conv_block->forward(x);
  if (spec_.residual) out = out + x;
  return spec_.batch_norm ? torch::relu(out) : torch::leaky_relu(out, 0.01);
}

torch::nn::Sequential conv_stack(const std::vector<ConvSpec>& specs) {
  torch::nn::Sequential seq;
  for (const auto& s : specs) seq->push_back(ConvUnit(s));
  return seq;
}

std::vector<ConvSpec> mel_encoder_specs(double width, int last_stage_residuals) {
  auto c = [&](int ch) { return scaled_channels(ch, width); };
  std::vector<ConvSpec> specs;
  auto stage = [&](int cin, int cout, std::array<int, 2> stride, int residuals) {
    specs.push_back({cin, cout, 3, stride, 1});
    for (int r = 0; r < residuals; ++r) specs.push_back({cout, cout, 3, {1, 1}, 1, true});
  };
  stage(1, c(32), {1, 1}, 2);                         // 80 x 16
  stage(c(32), c(64), {3, 1}, 2);                     // 27 x 16
  stage(c(64), c(128), {3, 3}, 2);                    // 9 x 6
  stage(c(128), c(256), {3, 2}, last_stage_residuals);  // 3 x 3
  specs.push_back({c(256), c(512), 3, {1, 1}, 0});    // 1 x 1
  specs.push_back({c(512), c(512), 1, {1, 1}, 0});
  return specs;
}

void fold_batch_norms(torch::nn::Module& module) {
  for (const auto& m : module.modules())
    if (auto* unit = m->as<ConvUnitImpl>()) unit->fold_batch_norm();
}

int scaled_channels(int channels, double width) {
  return std::max(8, static_cast<int>(std::lround(channels * width)));
}

}  // namespace dubkit
