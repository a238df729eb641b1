#include "lipsync/conv_block.hpp"

#include <algorithm>
#include <cmath>

namespace dubkit {

ConvUnitImpl::ConvUnitImpl(const ConvSpec& spec) : spec_(spec) {
  conv_block = torch::nn::Sequential();
  const std::vector<int64_t> stride{spec.stride[0], spec.stride[1]};
  if (spec.transposed) {
    conv_block->push_back(torch::nn::ConvTranspose2d(
        torch::nn::ConvTranspose2dOptions(spec.cin, spec.cout, spec.kernel)
            .stride(stride)
            .padding(spec.padding)
            .output_padding(spec.output_padding)));
  } else {
    conv_block->push_back(torch::nn::Conv2d(
        torch::nn::Conv2dOptions(spec.cin, spec.cout, spec.kernel).stride(stride).padding(spec.padding)));
  }
  if (spec.batch_norm) conv_block->push_back(torch::nn::BatchNorm2d(spec.cout));
  register_module("conv_block", conv_block);
}

torch::Tensor ConvUnitImpl::forward(const torch::Tensor& x) {
  auto out = conv_block->forward(x);
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

int scaled_channels(int channels, double width) {
  return std::max(8, static_cast<int>(std::lround(channels * width)));
}

}  // namespace dubkit
