#include "core/weight_file.hpp"

#include <fstream>

#include "core/error.hpp"
#include "core/safetensors.hpp"

namespace dubkit {

namespace {
// torch.save's zip files start with a local file header; safetensors with a header length.
bool is_zip(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw IoError("cannot open '" + path + "'");
  char magic[4] = {};
  f.read(magic, 4);
  return f.gcount() == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
}
}  // namespace

std::map<std::string, std::string> load_weight_metadata(const std::string& path) {
  return is_zip(path) ? std::map<std::string, std::string>{} : SafetensorsFile(path).metadata();
}

TensorDict load_weight_file(const std::string& path, const CheckpointOptions& opts) {
  if (is_zip(path)) return load_torch_checkpoint(path, opts);
  TensorDict d = SafetensorsFile(path).to_dict();
  if (opts.fold_weight_norm) fold_weight_norm(d);
  return d;
}

}  // namespace dubkit
