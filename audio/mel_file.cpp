#include "audio/mel_file.hpp"

#include "core/error.hpp"
#include "core/safetensors.hpp"

namespace dubkit {

namespace {

MelFile parse(const SafetensorsFile& f) {
  const std::string& path = f.source();
  const TensorView* t = f.find("mel");
  if (!t) throw FormatError(path + ": no tensor named 'mel'");
  if (t->dtype != DType::F32 && t->dtype != DType::F16 && t->dtype != DType::BF16)
    throw FormatError(path + ": 'mel' must hold floats");
  std::vector<std::int64_t> shape = t->shape;
  if (shape.size() == 3 && shape[0] == 1) shape.erase(shape.begin());
  if (shape.size() != 2) throw FormatError(path + ": 'mel' must be [n_mels, frames]; got " + std::to_string(t->shape.size()) + " dimensions");
  if (shape[0] < 1 || shape[0] > 4096 || shape[1] > (1LL << 28))
    throw FormatError(path + ": 'mel' has an implausible shape [" + std::to_string(shape[0]) + ", " + std::to_string(shape[1]) + "]");
  MelFile out;
  out.mel = FeatureMatrix(static_cast<int>(shape[0]), static_cast<int>(shape[1]));
  out.mel.data = t->to_float();
  const auto it = f.metadata().find("preset");
  if (it != f.metadata().end()) out.preset = it->second;
  return out;
}

}  // namespace

MelFile read_mel_file(const std::string& path) { return parse(SafetensorsFile(path)); }

MelFile read_mel_file_from_memory(const void* data, std::size_t size, const std::string& source) {
  return parse(SafetensorsFile(data, size, source));
}

void write_mel_file(const std::string& path, const FeatureMatrix& mel, const std::string& preset,
                    std::map<std::string, std::string> extra) {
  TensorDict d;
  d.add("mel", HostTensor::from_float({mel.rows, mel.cols}, mel.data));
  extra["preset"] = preset;
  write_safetensors(path, d, extra);
}

}  // namespace dubkit
