#include "lipsync/model_files.hpp"

#include "core/error.hpp"
#include "core/safetensors.hpp"
#include "core/torch_bridge.hpp"
#include "core/weight_file.hpp"

namespace dubkit {
namespace {

// The config stored with a dubkit file, or the public architecture's for a checkpoint without
// metadata. `kind` is the dubkit.model value the file must carry when it has metadata.
template <typename Config>
Config file_config(const std::string& path, const std::string& kind) {
  const auto meta = load_weight_metadata(path);
  if (meta.empty()) return Config{};
  const auto model = meta.find("dubkit.model");
  if (model == meta.end() || model->second != kind)
    throw FormatError(path + ": not a " + kind + " file (dubkit.model is " +
                      (model == meta.end() ? std::string("missing") : "'" + model->second + "'") + ")");
  const auto config = meta.find("dubkit.config");
  if (config == meta.end()) throw FormatError(path + ": " + kind + " file without dubkit.config");
  return Config::from_json(config->second, path);
}

std::map<std::string, std::string> with_identity(std::map<std::string, std::string> extra, const std::string& kind,
                                                 const std::string& config) {
  extra["dubkit.model"] = kind;
  extra["dubkit.config"] = config;
  return extra;
}

}  // namespace

Wav2Lip load_lipsync_generator(const std::string& path) {
  Wav2Lip g(file_config<LipSyncConfig>(path, "lipsync-generator"));
  load_weights(*g, load_weight_file(path), path);
  g->eval();
  return g;
}

SyncNet load_sync_expert(const std::string& path) {
  SyncNet s(file_config<SyncNetConfig>(path, "sync-expert"));
  load_weights(*s, load_weight_file(path), path);
  s->eval();
  return s;
}

void save_lipsync_generator(const std::string& path, const Wav2Lip& model, std::map<std::string, std::string> extra,
                            bool half) {
  write_safetensors(path, module_weights(*model, half ? DType::F16 : DType::F32),
                    with_identity(std::move(extra), "lipsync-generator", model->config().to_json()));
}

void save_sync_expert(const std::string& path, const SyncNet& model, std::map<std::string, std::string> extra,
                      bool half) {
  write_safetensors(path, module_weights(*model, half ? DType::F16 : DType::F32),
                    with_identity(std::move(extra), "sync-expert", model->config().to_json()));
}

}  // namespace dubkit
