#include "core/weight_norm.hpp"

#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace dubkit {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// g must be [v.shape[0], 1, 1, ...], both floating point.
void check_weight_norm_pair(const std::string& g_name, const HostTensor& g, const HostTensor& v) {
  bool ok = !v.shape.empty() && g.shape.size() == v.shape.size() && g.shape[0] == v.shape[0] &&
            g.dtype != DType::I64 && v.dtype != DType::I64;
  for (std::size_t d = 1; ok && d < g.shape.size(); ++d) ok = g.shape[d] == 1;
  if (!ok)
    throw FormatError("weight norm: '" + g_name + "' " + dtype_name(g.dtype) +
                      shape_string(g.shape) + " does not match its _v " + dtype_name(v.dtype) +
                      shape_string(v.shape));
}

// w = g * v / ||v||, the norm over every dim but 0, accumulated in double.
HostTensor fold_pair(const HostTensor& g, const HostTensor& v) {
  const std::vector<float> gf = g.to_float(), vf = v.to_float();
  const auto rows = static_cast<std::size_t>(v.shape[0]);
  const std::size_t cols = rows ? vf.size() / rows : 0;
  std::vector<float> w(vf.size());
  for (std::size_t r = 0; r < rows; ++r) {
    double sum = 0;
    for (std::size_t c = 0; c < cols; ++c) sum += double(vf[r * cols + c]) * vf[r * cols + c];
    const double norm = std::sqrt(sum);
    for (std::size_t c = 0; c < cols; ++c)
      w[r * cols + c] = static_cast<float>(double(gf[r]) * vf[r * cols + c] / norm);
  }
  return HostTensor::from_float(v.shape, w);
}

}  // namespace

void fold_weight_norm(TensorDict& tensors) {
  // Everything is checked before anything is moved, so a FormatError leaves `tensors` intact.
  for (const auto& [name, t] : tensors.items()) {
    const bool is_g = ends_with(name, "weight_g");
    if (!is_g && !ends_with(name, "weight_v")) continue;
    const std::string base = name.substr(0, name.size() - 2);
    const std::string partner = base + (is_g ? "_v" : "_g");
    const HostTensor* other = tensors.find(partner);
    if (!other) throw FormatError("weight norm: '" + name + "' has no '" + partner + "'");
    if (tensors.find(base))
      throw FormatError("weight norm: both '" + base + "' and '" + name + "' are present");
    if (is_g) check_weight_norm_pair(name, t, *other);
  }
  TensorDict folded;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const std::string& name = tensors.items()[i].first;
    if (ends_with(name, "weight_v")) continue;
    if (ends_with(name, "weight_g")) {
      const std::string base = name.substr(0, name.size() - 2);
      folded.add(base, fold_pair(tensors.items()[i].second, *tensors.find(base + "_v")));
    } else {
      folded.add(name, std::move(tensors.tensor(i)));
    }
  }
  tensors = std::move(folded);
}

}  // namespace dubkit
