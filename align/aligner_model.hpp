// The aligner's frame-level acoustic model: per-frame log-posteriors over the phone classes of
// phone_classes.hpp, for Viterbi forced alignment (forced_align.hpp).
//
//   16 kHz audio ──ge2e-40 (n_fft 400, hop 160 = 10 ms, 40 mels, power)──► ln(max(mel, 1e-5))
//     ──► per-utterance mean/variance normalisation per band                       [T, n_mels]
//     ──► conv_layers x (conv1d k, LayerNorm over channels, ReLU, dropout)         [T, channels]
//     ──► BiLSTM (lstm_hidden per direction; 0 leaves it out)                        [T, 2 * lstm_hidden]
//     ──► linear ──► log_softmax                                                     [T, n_classes]
//
// Why this shape: boundaries need 10 ms resolution, which the 10 ms hop gives directly; the
// convolutions see +-(conv_layers * (kernel / 2)) frames, enough for a phone and its neighbours'
// transitions, and are cheap on CPU; the small BiLSTM adds the wider context that tells a
// stop's closure from a pause. Per-utterance normalisation removes stationary channel
// differences (microphone, room colour, level) between the synthetic training corpus and real
// recordings. A frame classifier (rather than CTC) gives posteriors that are flat inside a
// phone and sharp at its edges, which is what a Viterbi boundary needs.
//
// The module also holds `log_prior` [n_classes], the log share of training frames per class:
// the aligner scores log-posterior - prior_scale * log-prior (a scaled likelihood), so frequent
// classes (pause, schwa) do not swallow rare ones' frames.
//
// Thread safety: forward() in eval mode under NoGradGuard changes no state and may run on
// several threads; training (dropout) is single-threaded.
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>

#include "audio/waveform.hpp"

namespace dubkit {

struct AlignerModelConfig {
  int n_mels = 40;          // input bands (the ge2e-40 preset)
  int channels = 128;       // conv channels
  int conv_layers = 3;      // conv layers
  int kernel = 5;           // conv width in frames (odd)
  int lstm_hidden = 128;    // BiLSTM units per direction; 0 = no BiLSTM
  int n_classes = 0;        // output classes; 0 = phone_class_count() (resolved by validate's caller)
  double dropout = 0.1;     // after each conv layer, training only
  void validate() const;    // throws InvalidArgument naming the field and value
  std::string to_json() const;
  // Throws FormatError naming `source` when the JSON is not a config object.
  static AlignerModelConfig from_json(const std::string& json, const std::string& source);
};

class AlignerNetImpl : public torch::nn::Module {
 public:
  // n_classes 0 in `config` becomes phone_class_count().
  explicit AlignerNetImpl(AlignerModelConfig config = {});

  // features [B, T, n_mels] (aligner_features) -> log-posteriors [B, T, n_classes]. Throws
  // InvalidArgument on another shape.
  torch::Tensor forward(const torch::Tensor& features);

  const AlignerModelConfig& config() const { return config_; }
  // [n_classes] log share of training frames per class (all zeros until the trainer sets it).
  torch::Tensor log_prior() const { return log_prior_; }
  void set_log_prior(const torch::Tensor& log_prior);

 private:
  AlignerModelConfig config_;
  torch::nn::ModuleList convs{nullptr};  // "convs.<i>.weight" [channels, in, kernel], "convs.<i>.bias"
  torch::nn::ModuleList norms{nullptr};  // "norms.<i>.weight" / ".bias" [channels]
  torch::nn::LSTM lstm{nullptr};         // "lstm.weight_ih_l0" ... "_reverse"; absent with lstm_hidden 0
  torch::nn::Linear output{nullptr};     // "output.weight" [n_classes, in], "output.bias"
  torch::Tensor log_prior_;              // buffer "log_prior" [n_classes]
};
TORCH_MODULE(AlignerNet);

// The model's input for 16 kHz mono audio: [T, n_mels] float, T = 1 + samples / 160 (frame t
// centred on sample 160 t). Throws InvalidArgument for another rate, FormatError for audio
// shorter than one 25 ms window.
torch::Tensor aligner_features(const Waveform& wave16k);
inline constexpr int kAlignerSampleRate = 16000;
inline constexpr int kAlignerHop = 160;  // samples per frame (10 ms)

// A model file: safetensors with metadata dubkit.model = "aligner", dubkit.config (JSON),
// dubkit.classes (the class inventory it was trained on, a JSON array) and, from the trainer,
// dubkit.prior_scale (calibrated on validation speakers).
struct LoadedAlignerModel {
  AlignerNet model{nullptr};
  std::string source;
  std::map<std::string, std::string> metadata;
};
// Throws IoError when unreadable, FormatError naming the file when it is not an aligner, was
// trained on another class inventory, or its tensors do not fit its config.
LoadedAlignerModel load_aligner_model(const std::string& path);

// Writes the weights (float32) and `metadata` plus dubkit.model, dubkit.config, dubkit.classes.
void save_aligner_model(const std::string& path, AlignerNet& model, std::map<std::string, std::string> metadata);

}  // namespace dubkit
