#include "lipsync/model_files.hpp"

#include <utility>

#include "core/error.hpp"
#include "core/safetensors.hpp"

namespace dubkit {

std::string lipsync_file_config(const std::string& path, const std::string& kind) {
  const auto meta = load_weight_metadata(path);
  if (meta.empty()) return {};
  const auto model = meta.find("dubkit.model");
  if (model == meta.end() || model->second != kind)
    throw FormatError(path + ": not a " + kind + " file (dubkit.model is " +
                      (model == meta.end() ? std::string("missing") : "'" + model->second + "'") + ")");
  const auto config = meta.find("dubkit.config");
  if (config == meta.end()) throw FormatError(path + ": " + kind + " file without dubkit.config");
  return config->second;
}

void write_lipsync_file(const std::string& path, const torch::nn::Module& model, const std::string& kind,
                        const std::string& config_json, std::map<std::string, std::string> extra, bool half) {
  extra["dubkit.model"] = kind;
  extra["dubkit.config"] = config_json;
  write_safetensors(path, module_weights(model, half ? DType::F16 : DType::F32), extra);
}

Wav2Lip load_lipsync_generator(const std::string& path) {
  return load_lipsync_file<Wav2Lip, LipSyncConfig>(path, "lipsync-generator");
}

void save_lipsync_generator(const std::string& path, const Wav2Lip& model, std::map<std::string, std::string> extra,
                            bool half) {
  write_lipsync_file(path, *model, "lipsync-generator", model->config().to_json(), std::move(extra), half);
}

}  // namespace dubkit
