#include "core/weight_file.hpp"

#include <fstream>

#include "core/error.hpp"
#include "core/safetensors.hpp"
#include "core/weight_norm.hpp"

namespace dubkit {

namespace {
// torch.save files start with a zip local file header or the legacy format's magic-number
// pickle; safetensors with a header length.
bool is_checkpoint(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw IoError("cannot open '" + path + "'");
  char head[32] = {};
  f.read(head, sizeof head);
  return looks_like_torch_checkpoint(head, static_cast<std::size_t>(f.gcount()));
}
}  // namespace

std::map<std::string, std::string> load_weight_metadata(const std::string& path) {
  return is_checkpoint(path) ? std::map<std::string, std::string>{} : SafetensorsFile(path).metadata();
}

TensorDict load_weight_file(const std::string& path, const CheckpointOptions& opts) {
  if (is_checkpoint(path)) return load_torch_checkpoint(path, opts);
  TensorDict d = SafetensorsFile(path).to_dict();
  if (opts.fold_weight_norm) fold_weight_norm(d);
  return d;
}

}  // namespace dubkit
