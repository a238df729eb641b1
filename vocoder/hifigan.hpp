// The HiFi-GAN generator (Kong, Kim & Bae 2020) for every configuration of the public release
// (github.com/jik876/hifi-gan): resblock type 1 or 2, any upsample rates and kernels, read from
// the release's config.json. Module names equal the public checkpoint keys ({'generator': ...}),
// so the released generator_v1/v2/v3 files load unchanged once their weight norm is folded
// (weight = g * v / ||v||, done at load: inference never needs the two factors).
//
//   mel [B, num_mels, T] ─ conv_pre (k7) ─► for each upsample i:
//       leaky_relu(0.1) ─ ups.i (ConvTranspose1d, stride u_i) ─► mean of the resblocks
//       resblocks.{i*K + j} (one per resblock kernel j)
//   ─► leaky_relu(0.01) ─ conv_post (k7) ─ tanh ─► audio [B, 1, T * prod(u)]
//
// The public models take `hifigan-22k` mels (ln magnitudes, 22050 Hz, hop 256); a model trained
// on other features says so in its config (dubkit keeps the preset name beside it).
//
// Thread safety: forward() on one module from several threads at once is safe in eval mode
// under torch::NoGradGuard (no state is written); training needs one module per thread.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace dubkit {

struct HifiGanConfig {
  std::string resblock = "1";                         // "1": ResBlock1 (3 dilated + 3 plain convs), "2": ResBlock2
  std::vector<int> upsample_rates{8, 8, 2, 2};        // stride of each ConvTranspose1d; product = hop in samples
  std::vector<int> upsample_kernel_sizes{16, 16, 4, 4};  // their kernel widths, in samples of that stage
  int upsample_initial_channel = 512;                 // channels after conv_pre, halved at each upsample
  std::vector<int> resblock_kernel_sizes{3, 7, 11};   // one resblock per kernel at every stage
  std::vector<std::vector<int>> resblock_dilation_sizes{{1, 3, 5}, {1, 3, 5}, {1, 3, 5}};  // per resblock
  int num_mels = 80;                                  // input feature rows
  int sampling_rate = 22050;                          // Hz of the output
  int hop_size = 256;                                 // samples per mel frame; must equal prod(upsample_rates)
  std::string mel_preset = "hifigan-22k";             // dubkit preset of the input features

  long hop() const;                                   // prod(upsample_rates) (saturates far above any valid hop)
  void validate() const;                              // throws InvalidArgument naming the field
  // The public config.json (unknown keys such as batch_size are ignored; "mel_preset" is
  // dubkit's own). Throws FormatError naming `source` and the field.
  static HifiGanConfig from_json(const std::string& json, const std::string& source);
  // The same from a file (IoError when unreadable).
  static HifiGanConfig from_file(const std::string& path);
  std::string to_json() const;
  // The public V1/V2/V3 configs (22050 Hz) by name: "v1", "v2", "v3".
  static HifiGanConfig named(const std::string& name);
};

// "resblocks.N.convs1.M" / "convs2.M" (type 1), "resblocks.N.convs.M" (type 2): Conv1d C->C,
// "same" padding, dilation per conv.
class HifiGanResBlockImpl : public torch::nn::Module {
 public:
  HifiGanResBlockImpl(const std::string& type, int channels, int kernel, const std::vector<int>& dilations);
  torch::Tensor forward(torch::Tensor x);

 private:
  bool type1_;
  torch::nn::ModuleList convs1{nullptr};  // "convs1.M.weight" [C, C, k] (type 1)
  torch::nn::ModuleList convs2{nullptr};  // "convs2.M.weight" [C, C, k] (type 1, dilation 1)
  torch::nn::ModuleList convs{nullptr};   // "convs.M.weight" [C, C, k] (type 2)
};
TORCH_MODULE(HifiGanResBlock);

class HifiGanGeneratorImpl : public torch::nn::Module {
 public:
  explicit HifiGanGeneratorImpl(const HifiGanConfig& config);
  const HifiGanConfig& config() const { return config_; }
  // mel [B, num_mels, T] -> audio [B, 1, T * hop] in [-1, 1].
  torch::Tensor forward(const torch::Tensor& mel);

 private:
  HifiGanConfig config_;
  torch::nn::Conv1d conv_pre{nullptr};     // "conv_pre.weight" [C0, num_mels, 7]
  torch::nn::ModuleList ups{nullptr};      // "ups.i.weight" [C_i, C_i / 2, k_i] (ConvTranspose1d)
  torch::nn::ModuleList resblocks{nullptr};  // "resblocks.{i*K+j}.*"
  torch::nn::Conv1d conv_post{nullptr};    // "conv_post.weight" [1, C_last, 7]
};
TORCH_MODULE(HifiGanGenerator);

// Weights for `config` from a public checkpoint ({'generator': ...} .pt, weight norm folded
// here) or a safetensors file. Throws FormatError naming the file and tensor (expected vs found
// shape) on any mismatch. Returns the model in eval mode.
HifiGanGenerator load_hifigan(const std::string& path, const HifiGanConfig& config);

}  // namespace dubkit
