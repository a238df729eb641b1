#include "sync/syncnet.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "lipsync/conv_block.hpp"

namespace dubkit {

int SyncNetConfig::embedding() const { return scaled_channels(512, width); }

void SyncNetConfig::validate() const {
  auto need = [](bool ok, const std::string& field, const std::string& why) {
    if (!ok) throw InvalidArgument("sync expert config: " + field + " " + why);
  };
  need(width > 0 && width <= 1, "width", std::to_string(width) + " is outside (0, 1]");
  need(frames >= 1 && frames <= 16, "frames", std::to_string(frames) + " is outside 1..16");
  need(mel_bands == 80, "mel_bands", std::to_string(mel_bands) + " must be 80");
  need(mel_window == 16, "mel_window", std::to_string(mel_window) + " must be 16");
  // The windows are cut at 80 frames/s from 16 kHz audio (lipsync/inputs.hpp).
  need(mel_preset == "wav2lip-16k", "mel_preset", "'" + mel_preset + "' must be wav2lip-16k");
}

std::string SyncNetConfig::to_json() const {
  return nlohmann::json{{"architecture", "syncnet-color"}, {"width", width}, {"frames", frames},
                        {"mel_bands", mel_bands}, {"mel_window", mel_window}, {"mel_preset", mel_preset}}
      .dump();
}

SyncNetConfig SyncNetConfig::from_json(const std::string& text, const std::string& source) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) throw FormatError(source + ": sync expert config is not a JSON object");
  SyncNetConfig c;
  try {
    c.width = j.at("width").get<double>();
    c.frames = j.at("frames").get<int>();
    c.mel_bands = j.at("mel_bands").get<int>();
    c.mel_window = j.at("mel_window").get<int>();
    c.mel_preset = j.at("mel_preset").get<std::string>();
    c.validate();
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(source + ": sync expert config: " + e.what());
  } catch (const InvalidArgument& e) {
    throw FormatError(source + ": " + e.what());
  }
  return c;
}

SyncNetImpl::SyncNetImpl(const SyncNetConfig& config) : config_(config) {
  config_.validate();
  auto c = [&](int ch) { return scaled_channels(ch, config_.width); };
  // 48 x 96 lower halves: a (1, 2)-strided 5x5 conv makes the map square (46 x 47), then four
  // stride-2 stages reach 3 x 3 and a valid 3x3 conv 1 x 1.
  std::vector<ConvSpec> face{{3 * config_.frames, c(32), 7, {1, 1}, 3}, {c(32), c(64), 5, {1, 2}, 1}};
  auto stage = [&](int cin, int cout, int residuals) {
    face.push_back({cin, cout, 3, {2, 2}, 1});
    for (int r = 0; r < residuals; ++r) face.push_back({cout, cout, 3, {1, 1}, 1, true});
  };
  face.push_back({c(64), c(64), 3, {1, 1}, 1, true});
  face.push_back({c(64), c(64), 3, {1, 1}, 1, true});
  stage(c(64), c(128), 3);
  stage(c(128), c(256), 2);
  stage(c(256), c(512), 2);
  stage(c(512), c(512), 0);
  face.push_back({c(512), c(512), 3, {1, 1}, 0});
  face.push_back({c(512), c(512), 1, {1, 1}, 0});
  face_encoder = register_module("face_encoder", conv_stack(face));
  audio_encoder = register_module("audio_encoder", conv_stack(mel_encoder_specs(config_.width, 2)));
}

torch::Tensor SyncNetImpl::embed_audio(const torch::Tensor& mel) {
  TORCH_CHECK(mel.dim() == 4 && mel.size(1) == 1 && mel.size(2) == config_.mel_bands && mel.size(3) == config_.mel_window,
              "SyncNet: mel must be [B, 1, ", config_.mel_bands, ", ", config_.mel_window, "], got ", mel.sizes());
  namespace F = torch::nn::functional;
  return F::normalize(audio_encoder->forward(mel).flatten(1), F::NormalizeFuncOptions().p(2).dim(1));
}

torch::Tensor SyncNetImpl::embed_faces(const torch::Tensor& faces) {
  TORCH_CHECK(faces.dim() == 4 && faces.size(1) == 3 * config_.frames && faces.size(2) == 48 && faces.size(3) == 96,
              "SyncNet: faces must be [B, ", 3 * config_.frames, ", 48, 96], got ", faces.sizes());
  namespace F = torch::nn::functional;
  return F::normalize(face_encoder->forward(faces).flatten(1), F::NormalizeFuncOptions().p(2).dim(1));
}

std::pair<torch::Tensor, torch::Tensor> SyncNetImpl::forward(const torch::Tensor& mel, const torch::Tensor& faces) {
  TORCH_CHECK(mel.size(0) == faces.size(0), "SyncNet: batch sizes differ: mel ", mel.size(0), ", faces ", faces.size(0));
  return {embed_audio(mel), embed_faces(faces)};
}

torch::Tensor sync_probability(const torch::Tensor& audio_embedding, const torch::Tensor& face_embedding) {
  return torch::nn::functional::cosine_similarity(audio_embedding, face_embedding,
                                                  torch::nn::functional::CosineSimilarityFuncOptions().dim(1));
}

}  // namespace dubkit
