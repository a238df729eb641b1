// The Wav2Lip generator (Prajwal et al. 2020, github.com/Rudrabha/Wav2Lip models/wav2lip.py),
// with module names equal to the public checkpoint keys ("module." prefixes stripped by the
// checkpoint reader), so the published wav2lip.pth / wav2lip_gan.pth load unchanged.
//
//   face [B, 6, S, S] (BGR in [0, 1]: lower half of the target frame zeroed, then a reference
//   frame of the same face) ─ face_encoder_blocks.0 .. N-1 (U-Net skips kept) ─► [B, C, 1, 1]
//   mel [B, 1, 80, 16] ─ audio_encoder.0 .. ─► [B, C, 1, 1]
//   audio embedding ─ face_decoder_blocks.j (ConvTranspose2d up, concatenated with the skip of
//   the same size) ─ output_block (conv, 1x1 conv, sigmoid) ─► face [B, 3, S, S] in [0, 1]
//
// The public release has S = 96 and full width. dubkit adds two knobs the release lacks:
// `face_size` 128, 192 or 256 (128: the same five downsampling stages as 96; 192 and 256: one
// more; the innermost stage reaches 3x3 for 96/192, 4x4 for 128/256), and `width`, a channel multiplier, so that a model
// can be sized to a CPU budget. With face_size 96 and width 1 the network is exactly the
// public one, tensor for tensor.
//
// Thread safety: forward() in eval mode under torch::NoGradGuard writes no state.
#pragma once

#include <torch/torch.h>

#include <string>

namespace dubkit {

struct LipSyncConfig {
  int face_size = 96;                      // pixels, side of the square aligned face crop: 96, 128, 192 or 256
  double width = 1.0;                      // channel multiplier (1 = public Wav2Lip), in (0, 1]
  int mel_bands = 80;                      // rows of each mel window (the preset's bands)
  int mel_window = 16;                     // mel frames per window (16 x 12.5 ms = 0.2 s)
  std::string mel_preset = "wav2lip-16k";  // dubkit preset of the mel windows

  void validate() const;                   // throws InvalidArgument naming the field
  std::string to_json() const;
  // Throws FormatError naming `source` and the field.
  static LipSyncConfig from_json(const std::string& json, const std::string& source);
};

class Wav2LipImpl : public torch::nn::Module {
 public:
  explicit Wav2LipImpl(const LipSyncConfig& config = {});
  const LipSyncConfig& config() const { return config_; }
  // mel [B, 1, mel_bands, mel_window], face [B, 6, S, S] -> [B, 3, S, S] in [0, 1].
  torch::Tensor forward(const torch::Tensor& mel, const torch::Tensor& face);

 private:
  LipSyncConfig config_;
  torch::nn::ModuleList face_encoder_blocks{nullptr};  // "face_encoder_blocks.i.j.conv_block.*"
  torch::nn::Sequential audio_encoder{nullptr};        // "audio_encoder.i.conv_block.*"
  torch::nn::ModuleList face_decoder_blocks{nullptr};  // "face_decoder_blocks.i.j.conv_block.*"
  torch::nn::Sequential output_block{nullptr};         // "output_block.0.conv_block.*", "output_block.1.weight" [3, 32w, 1, 1]
};
TORCH_MODULE(Wav2Lip);

}  // namespace dubkit
