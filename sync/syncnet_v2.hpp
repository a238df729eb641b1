// The public SyncNet evaluation model (joonson/syncnet_python, SyncNetModel.py, class S;
// weights syncnet_v2.model): the network behind the LSE-D / LSE-C lip-sync figures most papers
// publish. Module names equal the public state-dict keys, so syncnet_v2.model (a legacy-format
// torch.save, see core/checkpoint.hpp) loads unchanged.
//
//   mfcc [B, 1, 13, 20] ─ netcnnaud.0 .. 20 ─► [B, 512] ─ netfcaud.0 .. 3 ─► [B, 1024]
//   lips [B, 3, 5, 224, 224] ─ netcnnlip.0 .. 20 ─► [B, 512] ─ netfclip.0 .. 3 ─► [B, 1024]
//
// The embeddings are NOT normalised: the public evaluation compares them by Euclidean distance
// (LSE-D) and the confidence built on it (LSE-C), so their scale matters.
//
// Thread safety: the embeddings in eval mode under torch::NoGradGuard write no state; in
// training mode BatchNorm updates its running statistics.
#pragma once

#include <torch/torch.h>

#include <string>

namespace dubkit {

struct SyncNetV2Config {
  int embedding = 1024;  // size of both embeddings (public num_layers_in_fc_layers: 1024)
  void validate() const;  // throws InvalidArgument naming the field
};

class SyncNetV2Impl : public torch::nn::Module {
 public:
  explicit SyncNetV2Impl(const SyncNetV2Config& config = {});
  const SyncNetV2Config& config() const { return config_; }
  // mfcc [B, 1, 13, 20]: 20 MFCC frames (0.2 s at 100 frames/s) of 13 cepstra, the
  // `syncnet-mfcc` preset (audio/mel_preset.hpp), cepstra along dim 2 -> [B, embedding].
  torch::Tensor embed_audio(const torch::Tensor& mfcc);
  // lips [B, 3, 5, 224, 224]: 5 consecutive 224 x 224 BGR frames, pixel values 0..255 (not
  // scaled, as the public code feeds them), channels first, then time -> [B, embedding].
  torch::Tensor embed_faces(const torch::Tensor& lips);
  // The convolution stacks alone, before the fully connected heads (the public forward_lipfeat
  // for faces), same inputs -> [B, 512]. The golden test checks them too: with its synthetic
  // weights the heads' biases dominate the embeddings.
  torch::Tensor audio_features(const torch::Tensor& mfcc);
  torch::Tensor face_features(const torch::Tensor& lips);

 private:
  SyncNetV2Config config_;
  // Sequentials with every layer of the public ones, ReLU and pooling included, so that the
  // indices in the names ("netcnnaud.18.weight") are the public ones.
  torch::nn::Sequential netcnnaud{nullptr};
  torch::nn::Sequential netfcaud{nullptr};
  torch::nn::Sequential netfclip{nullptr};
  torch::nn::Sequential netcnnlip{nullptr};
};
TORCH_MODULE(SyncNetV2);

// Loads syncnet_v2.model (or the same tensors in any file load_weight_file reads) in eval mode.
// Every tensor's name and shape is checked; `num_batches_tracked` may be absent (files of
// PyTorch < 0.4 have none; it only matters to training). Throws IoError when the file cannot be
// read, FormatError naming the file and every missing, misshapen (expected vs found) or
// unexpected tensor.
SyncNetV2 load_syncnet_v2(const std::string& path);

}  // namespace dubkit
