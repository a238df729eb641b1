// The WaveRNN vocoder of SV2TTS (github.com/CorentinJ/Real-Time-Voice-Cloning,
// vocoder/models/fatchord_version.py), RAW mode: a softmax over 2^bits mu-law levels per sample.
// Module and parameter names equal the public state-dict keys, so the released checkpoint
// ({'model_state': ..., 'optimizer_state': ...}) loads unchanged.
//
//   mel [B, 80, T + 2*pad] (mel / mel_max_abs) ─► upsample:
//       resnet: conv_in (k = 2*pad+1, no padding) + BN + ReLU, res_blocks x ResBlock, conv_out
//               ─► stretch x hop ─► aux [B, T*hop, res_out_dims] = a1 | a2 | a3 | a4
//       mel:    (stretch x s, Conv2d 1x(2s+1) averaging) for s in upsample_factors, crop pad*hop
//               ─► m [B, T*hop, 80]
//   per sample t (previous sample x in [-1, 1]):
//       i  = I(x ++ m_t ++ a1_t)                          [rnn_dims]
//       x1 = i + GRU1(i)                                   [rnn_dims]
//       x2 = x1 + GRU2(x1 ++ a2_t)                         [rnn_dims]
//       logits = fc3(relu(fc2(relu(fc1(x2 ++ a3_t)) ++ a4_t)))   [2^bits]
//
// Inputs are `wav2lip-16k` mels ([80, T], symmetric [-4, 4]: the SV2TTS synthesizer's preset);
// the output is 16 kHz audio, (T - 1) * hop_length samples.
//
// Generation does not dispatch LibTorch ops per sample: the recurrent loop runs on contiguous
// float copies of the weights with CBLAS products over the folded batch and plain loops for the
// gates and the sampling (WaveRNNImpl::generate). step_logits() runs that same kernel
// teacher-forced, which is how it is tested against forward(). With OpenBLAS's OpenMP build on
// shared cores, run with OMP_NUM_THREADS=1: a thread team waiting on a busy core turns each
// 0.1 ms product into milliseconds.
//
// Thread safety: forward() increments the `step` counter (as the public code does), so it needs
// one module per thread. generate() and step_logits() write nothing to the module and may run
// concurrently on one module in eval mode; each call allocates its own buffers.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "audio/features.hpp"
#include "audio/waveform.hpp"

namespace dubkit {

// Defaults are SV2TTS's vocoder/hparams.py (and the synthesizer hparams it copies).
struct WaveRNNConfig {
  int rnn_dims = 512;                         // GRU units of rnn1 and rnn2, and I's output width
  int fc_dims = 512;                          // fc1 and fc2 output width
  int bits = 9;                               // RAW mode: 2^bits output classes (mu-law levels)
  int pad = 2;                                // mel frames of context each side; conv_in kernel 2*pad+1
  std::vector<int> upsample_factors{5, 5, 8}; // stretch of each upsample stage, in samples; product = hop_length
  int feat_dims = 80;                         // mel bands of the input
  int compute_dims = 128;                     // channels inside the mel ResNet
  int res_out_dims = 128;                     // ResNet output channels, split into 4 aux groups
  int res_blocks = 10;                        // residual blocks in the mel ResNet
  int hop_length = 200;                       // samples per mel frame
  int sample_rate = 16000;                    // Hz of the output
  bool mu_law = true;                         // classes are mu-law levels (decoded after sampling)
  double mel_max_abs = 4.0;                   // input mels are divided by this (symmetric [-4, 4] -> [-1, 1])
  double preemphasis = 0.97;                  // the training audio's pre-emphasis, undone at the end; 0 = none

  int n_classes() const { return 1 << bits; }
  int aux_dims() const { return res_out_dims / 4; }  // width of each of a1..a4
  void validate() const;                      // throws InvalidArgument naming the field
  std::string to_json() const;
  // Missing fields keep their defaults; throws FormatError naming `source` and the field.
  static WaveRNNConfig from_json(const std::string& json, const std::string& source);
};

// How generate() lays out the work.
struct WaveRNNOptions {
  // Fold the utterance into segments of target + 2*overlap samples generated side by side
  // (one batch row each) and crossfade them back: several times faster, slight seams.
  bool batched = true;
  int target = 8000;                     // samples per fold (>= 1)
  int overlap = 400;                     // samples shared by neighbouring folds (>= 0): warm-up + crossfade
  std::optional<std::uint64_t> seed;     // fixes the sampling; unset draws a seed from std::random_device
  // The public code fades the last 20 hops out (its utterances end there). Off for a span that
  // continues, or whose end is padding anyway.
  bool fade_out = true;
};

// "layers.N": conv1 / conv2 (Conv1d k1, no bias), batch_norm1 / batch_norm2.
class WaveRNNResBlockImpl : public torch::nn::Module {
 public:
  explicit WaveRNNResBlockImpl(int dims);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Conv1d conv1{nullptr};            // "conv1.weight" [C, C, 1]
  torch::nn::Conv1d conv2{nullptr};            // "conv2.weight" [C, C, 1]
  torch::nn::BatchNorm1d batch_norm1{nullptr}; // "batch_norm1.{weight,bias,running_mean,running_var,num_batches_tracked}"
  torch::nn::BatchNorm1d batch_norm2{nullptr}; // "batch_norm2.*"
};
TORCH_MODULE(WaveRNNResBlock);

// "upsample.resnet": mel [B, feat_dims, T + 2*pad] -> [B, res_out_dims, T].
class MelResNetImpl : public torch::nn::Module {
 public:
  explicit MelResNetImpl(const WaveRNNConfig& c);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Conv1d conv_in{nullptr};         // "conv_in.weight" [compute, feat, 2*pad+1]
  torch::nn::BatchNorm1d batch_norm{nullptr}; // "batch_norm.*" [compute]
  torch::nn::ModuleList layers{nullptr};      // "layers.N.*" WaveRNNResBlock
  torch::nn::Conv1d conv_out{nullptr};        // "conv_out.weight" [res_out, compute, 1], "conv_out.bias"
};
TORCH_MODULE(MelResNet);

// Nearest-neighbour stretch of the last axis of [B, C, H, W] by `scale` (no parameters: it only
// holds an index in up_layers, as in the public ModuleList).
class Stretch2dImpl : public torch::nn::Module {
 public:
  explicit Stretch2dImpl(int scale) : scale_(scale) {}
  torch::Tensor forward(const torch::Tensor& x);

 private:
  int scale_;
};
TORCH_MODULE(Stretch2d);

// "upsample": mel [B, feat, T + 2*pad] -> {m [B, T*hop, feat], aux [B, T*hop, res_out_dims]}.
class UpsampleNetworkImpl : public torch::nn::Module {
 public:
  explicit UpsampleNetworkImpl(const WaveRNNConfig& c);
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& mels);

  MelResNet resnet{nullptr};
  // "up_layers.{2k+1}.weight" [1, 1, 1, 2*s+1] (Conv2d, initialised to the mean); even indices
  // are Stretch2d.
  torch::nn::Sequential up_layers{nullptr};

 private:
  int hop_;
  int indent_;  // pad * hop: samples of the padding frames cropped from m
};
TORCH_MODULE(UpsampleNetwork);

class WaveRNNImpl : public torch::nn::Module {
 public:
  explicit WaveRNNImpl(const WaveRNNConfig& config);
  const WaveRNNConfig& config() const { return config_; }

  // Teacher-forced logits, the public forward(): x [B, N] previous samples in [-1, 1] (labels
  // mapped by 2*label/(2^bits-1) - 1), mels [B, feat, N/hop + 2*pad] already divided by
  // mel_max_abs -> [B, N, 2^bits]. Increments `step` (the public training counter).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mels);

  // The same logits through generate()'s plain-buffer kernel, teacher-forced with x. Eval mode
  // only (the ResNet's BatchNorm must use its running statistics): InvalidArgument otherwise.
  torch::Tensor step_logits(const torch::Tensor& x, const torch::Tensor& mels);

  // mel: [feat_dims, T] wav2lip-16k features ([-4, 4]), T >= 2 -> audio at sample_rate,
  // (T - 1) * hop_length samples, as the public generate() + infer_waveform(): pad, upsample,
  // (fold), sample per step, (unfold + crossfade), mu-law decode, de-emphasis, cut, fade out
  // over the last 20 hops (over the whole output when it is shorter). Like the public code it
  // does not clip: de-emphasis may take a sample past [-1, 1]. Throws InvalidArgument for a
  // mel with the wrong band count, fewer than 2 frames or a non-finite value, for bad options,
  // and in training mode.
  Waveform generate(const FeatureMatrix& mel, const WaveRNNOptions& options = {});

  UpsampleNetwork upsample{nullptr};  // "upsample.*"
  torch::nn::Linear I{nullptr};       // "I.weight" [rnn, 1 + feat + aux], "I.bias"
  torch::nn::GRU rnn1{nullptr};       // "rnn1.weight_ih_l0" [3*rnn, rnn], weight_hh_l0, bias_ih_l0, bias_hh_l0
  torch::nn::GRU rnn2{nullptr};       // "rnn2.weight_ih_l0" [3*rnn, rnn + aux], ...
  torch::nn::Linear fc1{nullptr};     // "fc1.weight" [fc, rnn + aux]
  torch::nn::Linear fc2{nullptr};     // "fc2.weight" [fc, fc + aux]
  torch::nn::Linear fc3{nullptr};     // "fc3.weight" [2^bits, fc]
  torch::Tensor step;                 // "step" int64 [1]: training steps taken (not trainable)

 private:
  // Upsampled conditioning [B, N, feat + res_out_dims] = m ++ aux, contiguous.
  torch::Tensor conditioning(const torch::Tensor& mels);
  void require_eval(const char* what) const;

  WaveRNNConfig config_;
};
TORCH_MODULE(WaveRNN);

// mu-law with mu = 2^bits - 1, as SV2TTS's vocoder/audio.py: x in [-1, 1] (clipped) -> label in
// [0, 2^bits - 1] (encode_mu_law) ...
int mu_law_encode(double x, int bits);
// ... and a level y in [-1, 1] (label_2_float of a label) -> x (decode_mu_law, from_labels=False).
double mu_law_decode(double y, int bits);
// label -> [-1, 1]: 2 * label / (2^bits - 1) - 1.
double label_to_float(int label, int bits);

// The public fold_with_overlap on x, a row-major [total_len, features] signal: folds of
// target + 2*overlap rows, fold i starting at row i*(target + overlap), zero-padded past the
// end. Where the public formula gives no fold (total_len < overlap) there is one.
struct FoldedSignal {
  long folds = 0;
  long length = 0;    // target + 2*overlap
  long features = 0;
  std::vector<float> data;  // [folds, length, features]
};
FoldedSignal fold_with_overlap(const float* x, long total_len, long features, long target, long overlap);

// The public xfade_and_unfold: y [folds, target + 2*overlap] row-major -> folds*(target +
// overlap) + overlap samples. Each fold's first overlap samples are scaled by fade_in = (overlap/2
// zeros, then an equal-power rise) and its last by fade_out (an equal-power fall, then zeros),
// then the folds are staggered and summed; target samples come back unchanged.
std::vector<double> xfade_and_unfold(std::vector<double> y, long folds, long overlap);

// A WaveRNN file: a public torch.save checkpoint or a safetensors file, with `config` (the
// SV2TTS defaults for the released model). Checks every tensor's name and shape; throws
// FormatError naming the file and the tensor (expected vs found), IoError when unreadable.
// The model is returned in eval mode.
WaveRNN load_wavernn(const std::string& path, const WaveRNNConfig& config);
// A file written by save_wavernn (config from its metadata), or a torch.save checkpoint with
// the SV2TTS defaults.
WaveRNN load_wavernn(const std::string& path);
// float32 safetensors with metadata dubkit.model = "wavernn", dubkit.config (JSON) and
// dubkit.mel_preset = "wav2lip-16k", plus `metadata`.
void save_wavernn(const std::string& path, WaveRNN& model, std::map<std::string, std::string> metadata = {});

}  // namespace dubkit
