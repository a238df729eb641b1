#include "sync/syncnet_v2.hpp"

#include <algorithm>
#include <vector>

#include "core/error.hpp"
#include "core/tensor.hpp"
#include "core/torch_bridge.hpp"
#include "core/weight_file.hpp"

namespace dubkit {

void SyncNetV2Config::validate() const {
  if (embedding < 1 || embedding > 65536)
    throw InvalidArgument("syncnet_v2 config: embedding " + std::to_string(embedding) + " is outside 1..65536");
}

namespace {

namespace nn = torch::nn;

// The public layers in their order; the ReLUs take no weights but keep their index.
void conv2d(nn::Sequential& s, int cin, int cout, std::vector<std::int64_t> kernel, std::vector<std::int64_t> padding) {
  s->push_back(nn::Conv2d(nn::Conv2dOptions(cin, cout, kernel).padding(padding)));
  s->push_back(nn::BatchNorm2d(cout));
  s->push_back(nn::ReLU());
}

void conv3d(nn::Sequential& s, int cin, int cout, std::vector<std::int64_t> kernel, std::vector<std::int64_t> stride,
            std::vector<std::int64_t> padding) {
  s->push_back(nn::Conv3d(nn::Conv3dOptions(cin, cout, kernel).stride(stride).padding(padding)));
  s->push_back(nn::BatchNorm3d(cout));
  s->push_back(nn::ReLU());
}

nn::Sequential fc(int embedding) {
  return nn::Sequential(nn::Linear(512, 512), nn::BatchNorm1d(512), nn::ReLU(), nn::Linear(512, embedding));
}

}  // namespace

SyncNetV2Impl::SyncNetV2Impl(const SyncNetV2Config& config) : config_(config) {
  config_.validate();
  // Audio: 13 x 20 -> 11 x 9 after the (1, 2)-strided pool -> 5 x 4 -> a (5, 4) conv to 1 x 1.
  nn::Sequential aud;
  conv2d(aud, 1, 64, {3, 3}, {1, 1});
  aud->push_back(nn::MaxPool2d(nn::MaxPool2dOptions({1, 1}).stride({1, 1})));  // a no-op, kept for the indices
  conv2d(aud, 64, 192, {3, 3}, {1, 1});
  aud->push_back(nn::MaxPool2d(nn::MaxPool2dOptions({3, 3}).stride({1, 2})));
  conv2d(aud, 192, 384, {3, 3}, {1, 1});
  conv2d(aud, 384, 256, {3, 3}, {1, 1});
  conv2d(aud, 256, 256, {3, 3}, {1, 1});
  aud->push_back(nn::MaxPool2d(nn::MaxPool2dOptions({3, 3}).stride({2, 2})));
  conv2d(aud, 256, 512, {5, 4}, {0, 0});
  netcnnaud = register_module("netcnnaud", aud);
  netfcaud = register_module("netfcaud", fc(config_.embedding));
  netfclip = register_module("netfclip", fc(config_.embedding));
  // Faces: 5 x 224 x 224 -> 1 x 109 x 109 (all 5 frames in one temporal kernel) -> 54 -> 26 ->
  // 13 -> 6 -> a 6 x 6 conv to 1 x 1 x 1.
  nn::Sequential lip;
  conv3d(lip, 3, 96, {5, 7, 7}, {1, 2, 2}, {0, 0, 0});
  lip->push_back(nn::MaxPool3d(nn::MaxPool3dOptions({1, 3, 3}).stride({1, 2, 2})));
  conv3d(lip, 96, 256, {1, 5, 5}, {1, 2, 2}, {0, 1, 1});
  lip->push_back(nn::MaxPool3d(nn::MaxPool3dOptions({1, 3, 3}).stride({1, 2, 2}).padding({0, 1, 1})));
  conv3d(lip, 256, 256, {1, 3, 3}, {1, 1, 1}, {0, 1, 1});
  conv3d(lip, 256, 256, {1, 3, 3}, {1, 1, 1}, {0, 1, 1});
  conv3d(lip, 256, 256, {1, 3, 3}, {1, 1, 1}, {0, 1, 1});
  lip->push_back(nn::MaxPool3d(nn::MaxPool3dOptions({1, 3, 3}).stride({1, 2, 2})));
  conv3d(lip, 256, 512, {1, 6, 6}, {1, 1, 1}, {0, 0, 0});
  netcnnlip = register_module("netcnnlip", lip);
}

torch::Tensor SyncNetV2Impl::audio_features(const torch::Tensor& mfcc) {
  TORCH_CHECK(mfcc.dim() == 4 && mfcc.size(1) == 1 && mfcc.size(2) == 13 && mfcc.size(3) == 20,
              "SyncNetV2: mfcc must be [B, 1, 13, 20], got ", mfcc.sizes());
  return netcnnaud->forward(mfcc).flatten(1);
}

torch::Tensor SyncNetV2Impl::face_features(const torch::Tensor& lips) {
  TORCH_CHECK(lips.dim() == 5 && lips.size(1) == 3 && lips.size(2) == 5 && lips.size(3) == 224 && lips.size(4) == 224,
              "SyncNetV2: lips must be [B, 3, 5, 224, 224], got ", lips.sizes());
  return netcnnlip->forward(lips).flatten(1);
}

torch::Tensor SyncNetV2Impl::embed_audio(const torch::Tensor& mfcc) { return netfcaud->forward(audio_features(mfcc)); }

torch::Tensor SyncNetV2Impl::embed_faces(const torch::Tensor& lips) { return netfclip->forward(face_features(lips)); }

SyncNetV2 load_syncnet_v2(const std::string& path) {
  SyncNetV2 net;
  TensorDict weights = load_weight_file(path);
  // Everything wrong is listed at once: a file of a different model fails on many tensors, and
  // the whole list says which model it is better than the first name would.
  std::string problems;
  auto problem = [&](const std::string& p) { problems += (problems.empty() ? "" : "; ") + p; };
  std::vector<std::string> expected;
  auto check = [&](const std::string& name, const torch::Tensor& target) {
    expected.push_back(name);
    const std::vector<std::int64_t> shape(target.sizes().begin(), target.sizes().end());
    const HostTensor* t = weights.find(name);
    if (t && t->shape != shape)
      problem("'" + name + "': expected " + shape_string(shape) + ", found " + shape_string(t->shape));
    if (t) return;
    const bool optional = name.size() >= 19 && name.compare(name.size() - 19, 19, "num_batches_tracked") == 0;
    if (optional)  // kept at 0, what the public model holds after construction
      weights.add(name, HostTensor{DType::I64, {}, std::vector<std::byte>(8, std::byte{0})});
    else
      problem("missing '" + name + "' (expected " + shape_string(shape) + ")");
  };
  for (const auto& p : net->named_parameters()) check(p.key(), p.value());
  for (const auto& b : net->named_buffers()) check(b.key(), b.value());
  for (const auto& [name, t] : weights.items())
    if (std::find(expected.begin(), expected.end(), name) == expected.end())
      problem("unexpected '" + name + "' " + shape_string(t.shape));
  if (!problems.empty()) throw FormatError(path + ": not the public SyncNet (syncnet_v2) weights: " + problems);
  load_weights(*net, weights, path);
  net->eval();
  return net;
}

}  // namespace dubkit
