#include "train/vocoder_discriminators.hpp"

#include <algorithm>
#include <cmath>

namespace dubkit {

namespace {

constexpr double kSlope = 0.1;  // the recipe's LRELU_SLOPE

// A public channel count scaled by `width`, kept a multiple of `multiple` (the grouped convs).
int scaled(int channels, double width, int multiple = 1) {
  const int c = static_cast<int>(std::lround(channels * width));
  return std::max(multiple, c / multiple * multiple);
}

}  // namespace

PeriodDiscriminatorImpl::PeriodDiscriminatorImpl(int period, double width) : period_(period) {
  convs = register_module("convs", torch::nn::ModuleList());
  const int channels[] = {1, scaled(32, width), scaled(128, width), scaled(512, width), scaled(1024, width), scaled(1024, width)};
  for (int j = 0; j < 5; ++j) {
    const int stride = j < 4 ? 3 : 1;
    convs->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(channels[j], channels[j + 1], {5, 1})
                                           .stride({stride, 1}).padding({2, 0})));
  }
  conv_post = register_module("conv_post", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels[5], 1, {3, 1}).padding({1, 0})));
}

std::pair<torch::Tensor, std::vector<torch::Tensor>> PeriodDiscriminatorImpl::forward(const torch::Tensor& audio) {
  torch::Tensor x = audio;
  const long n = x.size(2);
  if (n % period_ != 0)
    x = torch::nn::functional::pad(x, torch::nn::functional::PadFuncOptions({0, period_ - n % period_}).mode(torch::kReflect));
  x = x.view({x.size(0), 1, x.size(2) / period_, period_});
  std::vector<torch::Tensor> features;
  for (const auto& c : *convs) {
    x = torch::leaky_relu(c->as<torch::nn::Conv2d>()->forward(x), kSlope);
    features.push_back(x);
  }
  x = conv_post(x);
  features.push_back(x);
  return {x.flatten(1), features};
}

ScaleDiscriminatorImpl::ScaleDiscriminatorImpl(double width) {
  struct Layer {
    int out, kernel, stride, groups;
  };
  // The public DiscriminatorS: channels 128, 128, 256, 512, 1024, 1024, 1024.
  const Layer layers[] = {{128, 15, 1, 1}, {128, 41, 2, 4}, {256, 41, 2, 16}, {512, 41, 4, 16},
                          {1024, 41, 4, 16}, {1024, 41, 1, 16}, {1024, 5, 1, 1}};
  convs = register_module("convs", torch::nn::ModuleList());
  int in = 1;
  for (const Layer& l : layers) {
    const int out = scaled(l.out, width, 16);
    convs->push_back(torch::nn::Conv1d(torch::nn::Conv1dOptions(in, out, l.kernel).stride(l.stride)
                                           .groups(in == 1 ? 1 : l.groups).padding(l.kernel / 2)));
    in = out;
  }
  conv_post = register_module("conv_post", torch::nn::Conv1d(torch::nn::Conv1dOptions(in, 1, 3).padding(1)));
}

std::pair<torch::Tensor, std::vector<torch::Tensor>> ScaleDiscriminatorImpl::forward(const torch::Tensor& audio) {
  torch::Tensor x = audio;
  std::vector<torch::Tensor> features;
  for (const auto& c : *convs) {
    x = torch::leaky_relu(c->as<torch::nn::Conv1d>()->forward(x), kSlope);
    features.push_back(x);
  }
  x = conv_post(x);
  features.push_back(x);
  return {x.flatten(1), features};
}

MultiPeriodDiscriminatorImpl::MultiPeriodDiscriminatorImpl(double width) {
  discriminators = register_module("discriminators", torch::nn::ModuleList());
  for (int p : {2, 3, 5, 7, 11}) discriminators->push_back(PeriodDiscriminator(p, width));
}

DiscriminatorOutput MultiPeriodDiscriminatorImpl::forward(const torch::Tensor& audio) {
  DiscriminatorOutput out;
  for (const auto& d : *discriminators) {
    auto [score, features] = d->as<PeriodDiscriminator>()->forward(audio);
    out.scores.push_back(score);
    out.features.push_back(std::move(features));
  }
  return out;
}

MultiScaleDiscriminatorImpl::MultiScaleDiscriminatorImpl(double width) {
  discriminators = register_module("discriminators", torch::nn::ModuleList());
  for (int i = 0; i < 3; ++i) discriminators->push_back(ScaleDiscriminator(width));
}

DiscriminatorOutput MultiScaleDiscriminatorImpl::forward(const torch::Tensor& audio) {
  DiscriminatorOutput out;
  torch::Tensor x = audio;
  for (std::size_t i = 0; i < discriminators->size(); ++i) {
    // The public meanpools: AvgPool1d(4, 2, padding=2) before the 2nd and 3rd.
    if (i > 0) x = torch::avg_pool1d(x, {4}, {2}, {2});
    auto [score, features] = discriminators[i]->as<ScaleDiscriminator>()->forward(x);
    out.scores.push_back(score);
    out.features.push_back(std::move(features));
  }
  return out;
}

torch::Tensor discriminator_loss(const DiscriminatorOutput& real, const DiscriminatorOutput& fake) {
  torch::Tensor loss = torch::zeros({});
  for (std::size_t i = 0; i < real.scores.size(); ++i)
    loss = loss + (1 - real.scores[i]).pow(2).mean() + fake.scores[i].pow(2).mean();
  return loss;
}

torch::Tensor generator_adversarial_loss(const DiscriminatorOutput& fake) {
  torch::Tensor loss = torch::zeros({});
  for (const torch::Tensor& s : fake.scores) loss = loss + (1 - s).pow(2).mean();
  return loss;
}

torch::Tensor feature_matching_loss(const DiscriminatorOutput& real, const DiscriminatorOutput& fake) {
  torch::Tensor loss = torch::zeros({});
  for (std::size_t i = 0; i < real.features.size(); ++i)
    for (std::size_t j = 0; j < real.features[i].size(); ++j)
      loss = loss + (real.features[i][j].detach() - fake.features[i][j]).abs().mean();
  return loss;
}

}  // namespace dubkit
