// The GE2E speaker encoder (Wan et al. 2018) as in SV2TTS: a 3-layer LSTM over 40-band
// `ge2e-40` mel frames, a linear layer with ReLU on the last hidden state, L2-normalised to a
// 256-d voice embedding. Parameter names equal the public SV2TTS checkpoint's state-dict keys
// (encoder/model.py), so its `model_state` loads by name.
#pragma once

#include <torch/torch.h>

#include <limits>
#include <map>
#include <string>

#include "audio/waveform.hpp"
#include "core/tensor.hpp"

namespace dubkit {

struct SpeakerEncoderConfig {
  int n_mels = 40;         // input mel bands (ge2e-40 preset)
  int hidden = 256;        // LSTM hidden units per layer
  int layers = 3;          // stacked LSTM layers
  int embedding = 256;     // output embedding dimension
  // false: the LSTM reads the power mels as they are (SV2TTS). true: ln(max(mel, 1e-5)), whose
  // compressed range a small model trained from scratch on CPU learns from far faster.
  bool log_input = false;
  void validate() const;   // throws InvalidArgument naming the field
};

class SpeakerEncoderImpl : public torch::nn::Module {
 public:
  explicit SpeakerEncoderImpl(const SpeakerEncoderConfig& config = {});

  // mels: [batch, frames, n_mels] ge2e-40 power mels -> [batch, embedding], each row of unit
  // L2 norm (up to the 1e-5 the reference adds to the norm).
  torch::Tensor forward(const torch::Tensor& mels);

  const SpeakerEncoderConfig& config() const { return config_; }

 private:
  // The top layer's last hidden state [batch, hidden] without autograd (eval mode, no grad).
  torch::Tensor inference_last_hidden(const torch::Tensor& x);
  SpeakerEncoderConfig config_;
  torch::nn::LSTM lstm{nullptr};      // "lstm.weight_ih_l0" ... "lstm.bias_hh_l2"
  torch::nn::Linear linear{nullptr};  // "linear.weight" [256, 256], "linear.bias"
  // Used only by the GE2E training loss (scale and offset of the cosine similarity matrix);
  // kept so the public checkpoint and ours have the same tensors.
  torch::Tensor similarity_weight;    // "similarity_weight" [1], initialised to 10
  torch::Tensor similarity_bias;      // "similarity_bias" [1], initialised to -5
};
TORCH_MODULE(SpeakerEncoder);

// SV2TTS's partial windows over an utterance of n_samples at 16 kHz: windows of
// `frames_per_partial` mel frames (10 ms each) starting every frames_per_partial * (1 - overlap)
// frames; a last window covering less than `min_coverage` of real audio is dropped unless it
// is the only one. Returns each window's first frame.
struct PartialWindows {
  std::vector<int> starts;
  int frames_per_partial = 160;
  std::size_t padded_samples = 0;  // samples the audio is zero-padded to so every window is full
};
PartialWindows partial_windows(std::size_t n_samples, int frames_per_partial = 160, double overlap = 0.5,
                               double min_coverage = 0.75);

// One embedding per partial window of the (zero-padded) 16 kHz audio: [windows, embedding].
torch::Tensor embed_partials(SpeakerEncoder& encoder, const Waveform& wave16k);

// The utterance embedding [embedding]: ge2e-40 mels of the (zero-padded) 16 kHz audio, one
// embedding per partial window, averaged and L2-normalised (SV2TTS embed_utterance). Throws
// InvalidArgument for audio at another rate.
torch::Tensor embed_utterance(SpeakerEncoder& encoder, const Waveform& wave16k);

// An encoder file: dubkit's safetensors (config and calibrated threshold in its metadata) or
// a torch.save checkpoint with SV2TTS keys. The config is read from the tensor shapes.
struct LoadedEncoder {
  SpeakerEncoder model{nullptr};
  std::string source;
  // Cosine similarity above which two embeddings are judged the same speaker, calibrated at
  // the equal-error point on validation speakers; NaN when the file has none.
  double threshold = std::numeric_limits<double>::quiet_NaN();
  std::map<std::string, std::string> metadata;
};
LoadedEncoder load_speaker_encoder(const std::string& path);

// Writes the weights (float32) and `metadata` (plus "dubkit.model" and "dubkit.config").
void save_speaker_encoder(const std::string& path, SpeakerEncoder& model, std::map<std::string, std::string> metadata);

}  // namespace dubkit
