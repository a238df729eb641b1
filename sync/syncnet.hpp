// The colour SyncNet expert of Wav2Lip (public models/syncnet.py, SyncNet_color): embeds 5
// consecutive lower half-faces and the 0.2 s mel window starting at the first of them; the
// cosine of the two embeddings says how well they are in sync. Module names equal the public
// checkpoint keys (lipsync_expert.pth loads unchanged).
//
//   faces [B, 15, 48, 96] (5 frames x BGR in [0, 1], lower halves of 96x96 aligned crops,
//   concatenated along channels in time order) ─ face_encoder.0 .. 16 ─► [B, 512w] L2-normalised
//   mel [B, 1, 80, 16] ─ audio_encoder.0 .. 13 ─► [B, 512w] L2-normalised
//
// The expert always judges 96-pixel crops: generators of larger faces are scaled down to 96
// for it (a sync judgement does not need more pixels, and one expert then serves every size).
//
// Thread safety: forward() in eval mode under torch::NoGradGuard writes no state.
#pragma once

#include <torch/torch.h>

#include <string>
#include <utility>

namespace dubkit {

struct SyncNetConfig {
  double width = 1.0;                      // channel multiplier (1 = public expert), in (0, 1]
  int frames = 5;                          // consecutive video frames per face input (public: 5)
  int mel_bands = 80;                      // rows of each mel window
  int mel_window = 16;                     // mel frames per window
  std::string mel_preset = "wav2lip-16k";  // dubkit preset of the mel windows

  int embedding() const;                   // size of both embeddings: 512 * width, rounded
  void validate() const;                   // throws InvalidArgument naming the field
  std::string to_json() const;
  static SyncNetConfig from_json(const std::string& json, const std::string& source);  // FormatError naming source
};

class SyncNetImpl : public torch::nn::Module {
 public:
  explicit SyncNetImpl(const SyncNetConfig& config = {});
  const SyncNetConfig& config() const { return config_; }
  // mel [B, 1, 80, 16], faces [B, 3 * frames, 48, 96] -> (audio, face) embeddings [B, E], unit length.
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& mel, const torch::Tensor& faces);
  // Either side alone (the same as forward's): mel [B, 1, 80, 16] -> [B, E]; faces [B, 3 * frames, 48, 96] -> [B, E].
  torch::Tensor embed_audio(const torch::Tensor& mel);
  torch::Tensor embed_faces(const torch::Tensor& faces);

 private:
  SyncNetConfig config_;
  torch::nn::Sequential face_encoder{nullptr};   // "face_encoder.i.conv_block.*"
  torch::nn::Sequential audio_encoder{nullptr};  // "audio_encoder.i.conv_block.*"
};
TORCH_MODULE(SyncNet);

// The public expert's probability that a pair is in sync: the cosine of the embeddings (>= 0
// after the ReLUs), as Wav2Lip's sync loss reads it. [B].
torch::Tensor sync_probability(const torch::Tensor& audio_embedding, const torch::Tensor& face_embedding);

}  // namespace dubkit
