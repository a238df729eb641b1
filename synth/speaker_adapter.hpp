// The speaker-specific part of the synthesizer that `voice adapt` fine-tunes on a performer's
// own recordings, while every weight of the base synthesizer stays frozen.
//
// Why these parameters (AdaSpeech, Chen et al. 2021, adapts a few thousand speaker parameters:
// the conditional layer norms of its decoder plus a speaker embedding). Our decoder is an LSTM
// without layer norms, so the same idea takes the form of feature-wise affine maps (FiLM) at
// the places a layer norm's scale and bias would act, each starting as the identity:
//
//   embedding       [speaker_dim]     the speaker embedding itself, started from the profile's
//                                     and used at unit length (speaker()), as the synthesizer was
//                                     trained: moves every phone's features (durations, sigmas,
//                                     decoder) without leaving the sphere the encoder's lie on
//   decoder_scale,  [decoder_lstm]    h' = h * (1 + scale) + shift on the decoder LSTM's output,
//   decoder_shift                     before the projection to mels: the voice's timbre per step
//   mel_scale,      [n_mels]          m' = m * (1 + scale) + shift per band on the decoder's
//   mel_shift                         frames (before the postnet, and fed back to the prenet):
//                                     the recording's long-term spectrum (channel, microphone)
//   duration_shift  [1]               added to log(1 + frames) of every phone: speaking rate
//
// 256 + 2 x 256 + 2 x 80 + 1 = 929 values with the default synthesizer: small enough to learn
// from one minute of speech without forgetting how to speak, and to sign inside the profile.
// Fine-tuning the whole decoder (3.6 M values) from a minute overfits; a table of speaker
// embeddings alone cannot reach a voice outside what the base model learned.
//
// Not part of the synthesizer's state dict: the base file is never changed, and an adapted
// profile names the base file's SHA-256 (voice/voice_profile.hpp VoiceAdaptation).
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

namespace dubkit {

class SpeakerAdapterImpl : public torch::nn::Module {
 public:
  // Identity adapter for a synthesizer with these sizes; `embedding` is the profile's (its size
  // is the synthesizer's speaker_dim).
  SpeakerAdapterImpl(const std::vector<float>& embedding, int decoder_lstm, int n_mels);

  torch::Tensor embedding;       // "embedding" [speaker_dim]
  torch::Tensor decoder_scale;   // "decoder_scale" [decoder_lstm]
  torch::Tensor decoder_shift;   // "decoder_shift" [decoder_lstm]
  torch::Tensor mel_scale;       // "mel_scale" [n_mels]
  torch::Tensor mel_shift;       // "mel_shift" [n_mels]
  torch::Tensor duration_shift;  // "duration_shift" [1]

  // The embedding to condition on: `embedding` at unit L2 norm [speaker_dim].
  torch::Tensor speaker() const;
  // h [..., decoder_lstm] -> h'; mels [..., r * n_mels] or [..., n_mels] -> m' (band by band).
  torch::Tensor decoder(const torch::Tensor& h) const;
  torch::Tensor mel(const torch::Tensor& frames) const;

  long parameter_count() const;
  // Name -> values, the form an adapted profile stores.
  std::map<std::string, std::vector<float>> values() const;
  // Sets every tensor from stored values. Throws FormatError naming `source` and the tensor
  // for a missing or unknown name or a wrong size (expected vs found).
  void load_values(const std::map<std::string, std::vector<float>>& values, const std::string& source);
};
TORCH_MODULE(SpeakerAdapter);

}  // namespace dubkit
