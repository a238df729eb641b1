#include "lipsync/quality_discriminator.hpp"

#include "core/error.hpp"
#include "lipsync/conv_block.hpp"
#include "lipsync/inputs.hpp"

namespace dubkit {

QualityDiscriminatorImpl::QualityDiscriminatorImpl(double width) {
  if (!(width > 0 && width <= 1)) throw InvalidArgument("quality discriminator: width " + std::to_string(width) + " is outside (0, 1]");
  auto c = [&](int ch) { return scaled_channels(ch, width); };
  auto nonorm = [](int cin, int cout, int k, std::array<int, 2> stride, int pad) {
    ConvSpec s{cin, cout, k, stride, pad};
    s.batch_norm = false;
    return s;
  };
  face_encoder_blocks = torch::nn::ModuleList();
  face_encoder_blocks->push_back(conv_stack({nonorm(3, c(32), 7, {1, 1}, 3)}));                                  // 48 x 96
  face_encoder_blocks->push_back(conv_stack({nonorm(c(32), c(64), 5, {1, 2}, 2), nonorm(c(64), c(64), 5, {1, 1}, 2)}));  // 48 x 48
  face_encoder_blocks->push_back(conv_stack({nonorm(c(64), c(128), 5, {2, 2}, 2), nonorm(c(128), c(128), 5, {1, 1}, 2)}));  // 24
  face_encoder_blocks->push_back(conv_stack({nonorm(c(128), c(256), 5, {2, 2}, 2), nonorm(c(256), c(256), 5, {1, 1}, 2)}));  // 12
  face_encoder_blocks->push_back(conv_stack({nonorm(c(256), c(512), 3, {2, 2}, 1), nonorm(c(512), c(512), 3, {1, 1}, 1)}));  // 6
  face_encoder_blocks->push_back(conv_stack({nonorm(c(512), c(512), 3, {2, 2}, 1), nonorm(c(512), c(512), 3, {1, 1}, 1)}));  // 3
  face_encoder_blocks->push_back(conv_stack({nonorm(c(512), c(512), 3, {1, 1}, 0), nonorm(c(512), c(512), 1, {1, 1}, 0)}));  // 1
  register_module("face_encoder_blocks", face_encoder_blocks);
  binary_pred = torch::nn::Sequential(torch::nn::Conv2d(torch::nn::Conv2dOptions(c(512), 1, 1)), torch::nn::Sigmoid());
  register_module("binary_pred", binary_pred);
}

torch::Tensor QualityDiscriminatorImpl::forward(const torch::Tensor& faces) {
  torch::Tensor x = lower_halves(faces);
  for (const auto& block : *face_encoder_blocks) x = block->as<torch::nn::Sequential>()->forward(x);
  return binary_pred->forward(x).view({-1});
}

}  // namespace dubkit
