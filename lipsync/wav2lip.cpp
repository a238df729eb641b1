#include "lipsync/wav2lip.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "lipsync/conv_block.hpp"

namespace dubkit {
namespace {

// Stride-2 stages between the full-size crop and the innermost 3x3 or 4x4 map.
int downsamplings(int face_size) { return face_size == 96 || face_size == 128 ? 5 : 6; }
// Side of the innermost map, turned into 1x1 by a valid conv of that kernel.
int innermost(int face_size) { return face_size % 3 == 0 ? 3 : 4; }

}  // namespace

void LipSyncConfig::validate() const {
  auto need = [](bool ok, const std::string& field, const std::string& why) {
    if (!ok) throw InvalidArgument("lip-sync config: " + field + " " + why);
  };
  need(face_size == 96 || face_size == 128 || face_size == 192 || face_size == 256, "face_size",
       std::to_string(face_size) + " is not one of 96, 128, 192, 256");
  need(width > 0 && width <= 1, "width", std::to_string(width) + " is outside (0, 1]");
  // The mel encoder's strides (3, 1), 3, (3, 2) and a final valid 3x3 fix its input to 80 x 16.
  need(mel_bands == 80, "mel_bands", std::to_string(mel_bands) + " must be 80");
  need(mel_window == 16, "mel_window", std::to_string(mel_window) + " must be 16");
  // The windows are cut at 80 frames/s from 16 kHz audio (lipsync/inputs.hpp).
  need(mel_preset == "wav2lip-16k", "mel_preset", "'" + mel_preset + "' must be wav2lip-16k");
}

std::string LipSyncConfig::to_json() const {
  return nlohmann::json{{"architecture", "wav2lip"}, {"face_size", face_size}, {"width", width},
                        {"mel_bands", mel_bands}, {"mel_window", mel_window}, {"mel_preset", mel_preset}}
      .dump();
}

LipSyncConfig LipSyncConfig::from_json(const std::string& text, const std::string& source) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) throw FormatError(source + ": lip-sync config is not a JSON object");
  LipSyncConfig c;
  try {
    c.face_size = j.at("face_size").get<int>();
    c.width = j.at("width").get<double>();
    c.mel_bands = j.at("mel_bands").get<int>();
    c.mel_window = j.at("mel_window").get<int>();
    c.mel_preset = j.at("mel_preset").get<std::string>();
    c.validate();
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(source + ": lip-sync config: " + e.what());
  } catch (const InvalidArgument& e) {
    throw FormatError(source + ": " + e.what());
  }
  return c;
}

Wav2LipImpl::Wav2LipImpl(const LipSyncConfig& config) : config_(config) {
  config_.validate();
  auto c = [&](int ch) { return scaled_channels(ch, config_.width); };
  const int downs = downsamplings(config_.face_size);
  const int inner = innermost(config_.face_size);

  // Encoder channels from the full-size stage inwards; the public 96 list is
  // 16 | 32 64 128 256 512 | 512, and a sixth downsampling (192, 256) adds a 16-channel stage.
  std::vector<int> enc{16};
  if (downs == 6) enc.push_back(16);
  for (int ch : {32, 64, 128, 256, 512, 512}) enc.push_back(ch);
  // Residual units after each downsampling conv (public: 2, 3, 2, 2, 1).
  std::vector<int> residuals{2, 3, 2, 2, 1};
  if (downs == 6) residuals.insert(residuals.begin(), 1);

  face_encoder_blocks = torch::nn::ModuleList();
  face_encoder_blocks->push_back(conv_stack({{6, c(enc[0]), 7, {1, 1}, 3}}));
  for (int s = 1; s <= downs; ++s) {
    std::vector<ConvSpec> stage{{c(enc[s - 1]), c(enc[s]), 3, {2, 2}, 1}};
    for (int r = 0; r < residuals[s - 1]; ++r) stage.push_back({c(enc[s]), c(enc[s]), 3, {1, 1}, 1, true});
    face_encoder_blocks->push_back(conv_stack(stage));
  }
  face_encoder_blocks->push_back(conv_stack({{c(enc[downs]), c(enc[downs + 1]), inner, {1, 1}, 0},
                                             {c(enc[downs + 1]), c(enc[downs + 1]), 1, {1, 1}, 0}}));
  register_module("face_encoder_blocks", face_encoder_blocks);

  audio_encoder = register_module("audio_encoder", conv_stack(mel_encoder_specs(config_.width, 1)));

  // Decoder: the audio embedding, then transposed convs back out, each output concatenated
  // with the encoder feature of the same size (U-Net). Public outputs: 512 | 512 | 512 384 256
  // 128 64, a sixth upsampling adding 32.
  const std::vector<int> ups{512, 384, 256, 128, 64, 32};
  face_decoder_blocks = torch::nn::ModuleList();
  const int n_enc = static_cast<int>(enc.size());
  auto skip = [&](int j) { return c(enc[n_enc - 1 - j]); };  // encoder output block j concatenates with
  face_decoder_blocks->push_back(conv_stack({{c(512), c(512), 1, {1, 1}, 0}}));
  int in = c(512) + skip(0);
  face_decoder_blocks->push_back(conv_stack({{in, c(512), inner, {1, 1}, 0, false, true},
                                             {c(512), c(512), 3, {1, 1}, 1, true}}));
  in = c(512) + skip(1);
  for (int u = 0; u < downs; ++u) {
    const int out = c(ups[u]);
    face_decoder_blocks->push_back(conv_stack({{in, out, 3, {2, 2}, 1, false, true, 1},
                                               {out, out, 3, {1, 1}, 1, true},
                                               {out, out, 3, {1, 1}, 1, true}}));
    in = out + skip(u + 2);
  }
  register_module("face_decoder_blocks", face_decoder_blocks);

  output_block = torch::nn::Sequential();
  output_block->push_back(ConvUnit(ConvSpec{in, c(32), 3, {1, 1}, 1}));
  output_block->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(c(32), 3, 1)));
  output_block->push_back(torch::nn::Sigmoid());
  register_module("output_block", output_block);
}

torch::Tensor Wav2LipImpl::forward(const torch::Tensor& mel, const torch::Tensor& face) {
  const int s = config_.face_size;
  TORCH_CHECK(mel.dim() == 4 && mel.size(1) == 1 && mel.size(2) == config_.mel_bands && mel.size(3) == config_.mel_window,
              "Wav2Lip: mel must be [B, 1, ", config_.mel_bands, ", ", config_.mel_window, "], got ", mel.sizes());
  TORCH_CHECK(face.dim() == 4 && face.size(1) == 6 && face.size(2) == s && face.size(3) == s,
              "Wav2Lip: face must be [B, 6, ", s, ", ", s, "], got ", face.sizes());
  TORCH_CHECK(mel.size(0) == face.size(0), "Wav2Lip: batch sizes differ: mel ", mel.size(0), ", face ", face.size(0));

  std::vector<torch::Tensor> skips;
  auto x = face;
  for (const auto& block : *face_encoder_blocks) {
    x = block->as<torch::nn::Sequential>()->forward(x);
    skips.push_back(x);
  }
  x = audio_encoder->forward(mel);
  for (const auto& block : *face_decoder_blocks) {
    x = block->as<torch::nn::Sequential>()->forward(x);
    x = torch::cat({x, skips.back()}, 1);
    skips.pop_back();
  }
  return output_block->forward(x);
}

}  // namespace dubkit
