// dubkit's default vocoder: a ConvNeXt stack at the mel frame rate that predicts each frame's
// STFT (log magnitude and phase), turned into audio by an inverse STFT (the Vocos design,
// Siuzdak 2023). Everything runs at 80 frames/s instead of 16000 samples/s, so it costs a small
// fraction of a sample-rate network such as HiFi-GAN (see models/vocoder.md for the measured
// choice).
//
//   mel [B, 80, T] ─ backbone.embed (conv k7) ─ backbone.norm (LayerNorm)
//     ─ backbone.convnext.i: x + gamma * pwconv2(gelu(pwconv1(norm(dwconv(x)))))   (i < layers)
//     ─ backbone.final_layer_norm ─ head.out (Linear dim -> n_fft + 2)
//     ─ magnitude = exp(first half, at most 100), phase = second half
//     ─ inverse STFT (Hann window n_fft, hop) ─► audio [B, T * hop]
//
// The input is the preset its config names (`wav2lip-16k` for the 16 kHz default, `dubkit-22k`
// for the full-band one: both symmetric [-4, 4] of a pre-emphasised analysis, n_fft and hop equal
// to the preset's window and hop); the output is the plain waveform (the network learns to undo
// the pre-emphasis), sample n at frame n/hop's centre. There is no public checkpoint of this network; tensor names follow Vocos's.
//
// Thread safety: forward() under torch::NoGradGuard in eval mode writes no state.
#pragma once

#include <torch/torch.h>

#include <string>

namespace dubkit {

struct ConvNextVocoderConfig {
  int n_mels = 80;            // input feature rows
  int dim = 256;              // channels of the ConvNeXt stack
  int intermediate = 768;     // hidden width of each block's pointwise MLP
  int layers = 8;             // ConvNeXt blocks
  int kernel = 7;             // depthwise conv width, frames
  int n_fft = 800;            // inverse STFT size (= the preset's window: 50 ms at 16 kHz)
  int hop = 200;              // samples per frame (the preset's hop)
  int sample_rate = 16000;    // Hz
  std::string mel_preset = "wav2lip-16k";  // dubkit preset of the input features

  void validate() const;      // throws InvalidArgument naming the field
  std::string to_json() const;
  static ConvNextVocoderConfig from_json(const std::string& json, const std::string& source);
};

class ConvNextBlockImpl : public torch::nn::Module {
 public:
  ConvNextBlockImpl(int dim, int intermediate, int kernel, double layer_scale);
  torch::Tensor forward(const torch::Tensor& x);  // [B, dim, T] -> same

 private:
  torch::nn::Conv1d dwconv{nullptr};     // "dwconv.weight" [dim, 1, kernel] (depthwise)
  torch::nn::LayerNorm norm{nullptr};    // "norm.weight" [dim]
  torch::nn::Linear pwconv1{nullptr};    // "pwconv1.weight" [intermediate, dim]
  torch::nn::Linear pwconv2{nullptr};    // "pwconv2.weight" [dim, intermediate]
  torch::Tensor gamma;                   // "gamma" [dim] layer scale
};
TORCH_MODULE(ConvNextBlock);

class ConvNextVocoderImpl : public torch::nn::Module {
 public:
  explicit ConvNextVocoderImpl(const ConvNextVocoderConfig& config);
  const ConvNextVocoderConfig& config() const { return config_; }
  // mel [B, n_mels, T] -> audio [B, T * hop].
  torch::Tensor forward(const torch::Tensor& mel);

 private:
  ConvNextVocoderConfig config_;
  torch::nn::Conv1d embed{nullptr};             // "backbone.embed.weight" [dim, n_mels, 7]
  torch::nn::LayerNorm norm{nullptr};           // "backbone.norm.weight" [dim]
  torch::nn::ModuleList convnext{nullptr};      // "backbone.convnext.i.*"
  torch::nn::LayerNorm final_layer_norm{nullptr};  // "backbone.final_layer_norm.weight" [dim]
  torch::nn::Linear out{nullptr};               // "head.out.weight" [n_fft + 2, dim]
  torch::Tensor window;                         // Hann window [n_fft], not a parameter
};
TORCH_MODULE(ConvNextVocoder);

}  // namespace dubkit
