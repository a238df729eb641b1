// The speech synthesizer: a Tacotron-family recurrent network with explicit per-phone
// durations (Non-Attentive Tacotron, Shen et al. 2020), conditioned on a GE2E speaker
// embedding (SV2TTS) and a language.
//
//   phones [B, N] ──embedding──► 3 x conv5 + BatchNorm + ReLU ──► BiLSTM ──► h [B, N, 2*encoder_lstm]
//   features = h ++ speaker embedding ++ language embedding, on every phone        [B, N, F]
//   duration predictor (2 x conv3 + LayerNorm) ──► log(1 + frames) per phone
//   range predictor ──► sigma per phone; Gaussian upsampling to decoder steps      [B, K, F]
//   decoder: prenet(previous frame) ++ upsampled features ──► 2-layer LSTM ──► r frames / step
//   postnet: 5 x conv5 + BatchNorm + tanh, added to the decoder's frames ──► mel [B, T, 80]
//
// Mels are in the config's preset: `wav2lip-16k` (16 kHz, 12.5 ms frames, the features the
// lip-sync network also takes) or `dubkit-22k` (22.05 kHz, 11.6 ms frames, bands to 11 kHz);
// both symmetric [-4, 4] with 80 bands. Durations are in mel frames.
// There is no public checkpoint of this architecture, so tensor names simply say what each
// layer is (listed beside each member below).
//
// Thread safety: a module is not safe to call from several threads at once (BatchNorm,
// dropout masks); use one per thread.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "synth/speaker_adapter.hpp"
#include "text/symbols.hpp"

namespace dubkit {

struct SynthesizerConfig {
  int n_symbols = 0;           // phone symbols including padding id 0 (the symbol table's size())
  int n_languages = 1;         // languages the model was trained on
  std::string mel_preset = "wav2lip-16k";  // the mels it makes: wav2lip-16k or dubkit-22k (a
                               // symmetric [-4, 4] preset, -4 being silence and padding)
  int n_mels = 80;             // that preset's bands
  int symbol_dim = 256;        // phone embedding width
  int encoder_convs = 3;       // convolutional layers before the BiLSTM
  int encoder_kernel = 5;      // their width in phones
  int encoder_lstm = 128;      // BiLSTM units per direction
  int speaker_dim = 256;       // speaker embedding width (the speaker encoder's output)
  int language_dim = 16;       // learned language embedding width
  int duration_channels = 256; // duration/range predictor conv channels
  int prenet = 128;            // prenet layer width (two layers)
  int decoder_lstm = 256;      // decoder LSTM units per layer
  int decoder_layers = 2;      // stacked decoder LSTM layers
  int reduction = 2;           // r: mel frames produced per decoder step
  int postnet_channels = 256;  // postnet conv channels
  int postnet_convs = 5;       // postnet layers
  int postnet_kernel = 5;      // their width in frames
  double dropout = 0.5;        // prenet dropout (on at inference too, as in Tacotron 2)
  double encoder_dropout = 0.2;  // encoder / duration predictor dropout (training only)

  int encoder_dim() const { return 2 * encoder_lstm; }
  int feature_dim() const { return encoder_dim() + speaker_dim + language_dim; }  // F
  void validate() const;  // throws InvalidArgument naming the field
  std::string to_json() const;
  static SynthesizerConfig from_json(const std::string& json, const std::string& source);
};

// A training/teacher-forced pass over a padded batch.
struct SynthesizerBatch {
  torch::Tensor phones;         // [B, N] int64, 0 = padding
  torch::Tensor phone_lengths;  // [B] int64
  torch::Tensor speakers;       // [B, speaker_dim] float, unit-norm embeddings
  torch::Tensor languages;      // [B] int64 language ids
  torch::Tensor durations;      // [B, N] float frames (0 on padding); sum = mel length
  torch::Tensor mels;           // [B, T, n_mels] float, padded with -4 (silence)
  torch::Tensor mel_lengths;    // [B] int64
  torch::Tensor bands;          // [B, n_mels] float, 1 where the target recording has sound
                                // (training loss only; undefined: every band)
};

struct SynthesizerOutput {
  torch::Tensor mel_decoder;    // [B, T', n_mels] before the postnet (T' = K * r >= T)
  torch::Tensor mel;            // [B, T', n_mels] after the postnet
  torch::Tensor log_durations;  // [B, N] predicted log(1 + frames)
  torch::Tensor weights;        // [B, K, N] upsampling weights (the alignment)
};

class SynthesizerImpl : public torch::nn::Module {
 public:
  explicit SynthesizerImpl(const SynthesizerConfig& config);
  const SynthesizerConfig& config() const { return config_; }

  // Teacher-forced: ground-truth durations place the phones, ground-truth frames feed the
  // prenet.
  SynthesizerOutput forward(const SynthesizerBatch& batch);

  // Encoder features [B, N, F] of phones [B, N] (mask from lengths), speakers [B, S], langs [B].
  torch::Tensor encode(const torch::Tensor& phones, const torch::Tensor& lengths, const torch::Tensor& speakers,
                       const torch::Tensor& languages);
  // log(1 + frames) per phone [B, N].
  torch::Tensor predict_log_durations(const torch::Tensor& features, const torch::Tensor& mask);
  // Gaussian upsampling of features [B, N, F] with durations [B, N] (frames) to `steps` decoder
  // steps: returns {upsampled [B, K, F], weights [B, K, N]}.
  std::pair<torch::Tensor, torch::Tensor> upsample(const torch::Tensor& features, const torch::Tensor& durations,
                                                   const torch::Tensor& mask, long steps);
  // Autoregressive generation for one utterance (no grad): upsampled features [K, F] ->
  // {decoder frames, mel after the postnet}, each [K * r, n_mels]. `seed` fixes the prenet
  // dropout masks. Equals forward() teacher-forced on its own decoder frames (tested). Eval
  // mode only (the postnet's BatchNorm must use its running statistics): InvalidArgument
  // otherwise.
  std::pair<torch::Tensor, torch::Tensor> generate(const torch::Tensor& upsampled, std::uint64_t seed);

  // A performer's speaker adapter (synth/speaker_adapter.hpp), or nullptr for the base model:
  // forward(), predict_log_durations() and generate() then apply its duration, decoder and mel
  // maps. Callers condition on adapter->embedding themselves. Throws InvalidArgument when its
  // sizes do not fit this model. Not registered: the model's state dict stays the base file's.
  void set_adapter(SpeakerAdapter adapter);
  const SpeakerAdapter& adapter() const { return adapter_; }

 private:
  torch::Tensor prenet_forward(torch::Tensor x, bool always_dropout);
  torch::Tensor postnet_forward(const torch::Tensor& mel);  // [B, T, n_mels] -> residual added

  SynthesizerConfig config_;
  SpeakerAdapter adapter_{nullptr};
  torch::nn::Embedding embedding{nullptr};           // "embedding.weight" [n_symbols, symbol_dim]
  torch::nn::ModuleList encoder_convs{nullptr};      // "encoder_convolutions.{i}.0.weight" conv, ".1.*" BatchNorm
  torch::nn::LSTM encoder_lstm{nullptr};             // "encoder_lstm.weight_ih_l0[_reverse]" ...
  torch::nn::Embedding language_embedding{nullptr};  // "language_embedding.weight" [n_languages, language_dim]
  torch::nn::Conv1d duration_conv1{nullptr};         // "duration_conv1.weight" [C, F, 3]
  torch::nn::LayerNorm duration_norm1{nullptr};      // "duration_norm1.weight" [C]
  torch::nn::Conv1d duration_conv2{nullptr};         // "duration_conv2.weight" [C, C, 3]
  torch::nn::LayerNorm duration_norm2{nullptr};      // "duration_norm2.weight" [C]
  torch::nn::Linear duration_out{nullptr};           // "duration_out.weight" [1, C]
  torch::nn::Linear range_out{nullptr};              // "range_out.weight" [1, F + 1]: sigma from features ++ log duration
  torch::nn::ModuleList prenet{nullptr};             // "prenet.{0,1}.weight" [prenet, n_mels | prenet]
  torch::nn::LSTM decoder_lstm{nullptr};             // "decoder_lstm.weight_ih_l0" [4H, prenet + F] ...
  torch::nn::Linear projection{nullptr};             // "projection.weight" [r * n_mels, H + F]
  torch::nn::ModuleList postnet{nullptr};            // "postnet.{i}.0.weight" conv, ".1.*" BatchNorm
};
TORCH_MODULE(Synthesizer);

// [B, n] bool: true where the position is below that row's length (lengths [B] int64).
torch::Tensor length_mask(const torch::Tensor& lengths, long n);

// The value a mel frame of silence has in every symmetric [-4, 4] preset: the decoder's "go"
// frame and the padding of targets.
constexpr float kSilenceMel = -4.0f;

// A synthesizer file: weights plus the config, symbol table and languages in its metadata.
struct LoadedSynthesizer {
  Synthesizer model{nullptr};
  SymbolTable symbols{std::vector<std::string>{"_"}};
  std::vector<std::string> languages;  // language id i = languages[i] ("de", "en", "es")
  std::string source;
  std::map<std::string, std::string> metadata;
};

// Checks every tensor's name and shape against the config in the file's metadata; throws
// FormatError naming the file and the tensor (expected vs found).
LoadedSynthesizer load_synthesizer(const std::string& path);

// The mel preset a synthesizer file makes, from its metadata alone (cheap: no weights are read),
// so callers can size outputs before loading it. Throws as load_weight_metadata.
std::string synthesizer_mel_preset(const std::string& path);
// Writes float32 weights (or float16 with `half`) and the metadata above.
void save_synthesizer(const std::string& path, Synthesizer& model, const SymbolTable& symbols,
                      const std::vector<std::string>& languages, std::map<std::string, std::string> metadata,
                      bool half = false);

}  // namespace dubkit
