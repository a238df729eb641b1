// Lip-sync weight files, public or dubkit's own: the generator's here, the sync expert's in
// sync/expert_files.hpp (both built on the shared reader and writer below).
//   *.pth / *.pt   a public Wav2Lip checkpoint (wav2lip.pth, wav2lip_gan.pth, lipsync_expert.pth:
//                  {'state_dict': ...} with "module." prefixes); the public architecture
//                  (face 96, width 1) is assumed and every tensor checked against it.
//   *.safetensors  dubkit's: metadata dubkit.model = "lipsync-generator" or "sync-expert",
//                  dubkit.config = the network's config JSON.
// Every loader checks each tensor's name and shape and names the file in its FormatError; a
// generator file given where an expert is expected (or the reverse) is refused by name.
#pragma once

#include <map>
#include <string>

#include "core/torch_bridge.hpp"
#include "core/weight_file.hpp"
#include "lipsync/wav2lip.hpp"

namespace dubkit {

// In eval mode. IoError when unreadable, FormatError when not a generator (names the file).
Wav2Lip load_lipsync_generator(const std::string& path);

// Writes weights (float16 with `half`) and config; `extra` metadata (steps, metrics) is kept.
void save_lipsync_generator(const std::string& path, const Wav2Lip& model, std::map<std::string, std::string> extra = {},
                            bool half = false);

// The config JSON of the lip-sync network in `path`, whose dubkit.model must be `kind`; empty
// for a file without metadata (a public checkpoint: the caller assumes the public config).
// FormatError naming the file for another kind or a missing config.
std::string lipsync_file_config(const std::string& path, const std::string& kind);

// The network `Net` (a module holder whose config type is `Config`) stored in `path` as `kind`,
// in eval mode; a file without metadata gets the public config. Errors as lipsync_file_config
// and load_weights (names the file).
template <typename Net, typename Config>
Net load_lipsync_file(const std::string& path, const std::string& kind) {
  const std::string config = lipsync_file_config(path, kind);
  Net net(config.empty() ? Config{} : Config::from_json(config, path));
  load_weights(*net, load_weight_file(path), path);
  net->eval();
  return net;
}

// Writes `model`'s weights (float16 with `half`) with `extra` metadata plus dubkit.model = `kind`
// and dubkit.config = `config_json`.
void write_lipsync_file(const std::string& path, const torch::nn::Module& model, const std::string& kind,
                        const std::string& config_json, std::map<std::string, std::string> extra, bool half);

}  // namespace dubkit
