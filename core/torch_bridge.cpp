#include "core/torch_bridge.hpp"

#include <cstring>
#include <set>

#include "core/error.hpp"

namespace dubkit {

torch::Tensor to_torch(const HostTensor& t) {
  if (t.dtype == DType::I64) {
    torch::Tensor out = torch::empty(t.shape, torch::kLong);
    std::memcpy(out.data_ptr(), t.data.data(), t.data.size());
    return out;
  }
  const std::vector<float> values = t.to_float();
  torch::Tensor out = torch::empty(t.shape, torch::kFloat);
  std::memcpy(out.data_ptr(), values.data(), values.size() * sizeof(float));
  return out;
}

HostTensor to_host(const torch::Tensor& t, DType dtype) {
  HostTensor h;
  h.shape = t.sizes().vec();
  torch::Tensor c;
  if (t.scalar_type() == torch::kLong) {
    h.dtype = DType::I64;
    c = t.contiguous().cpu();
  } else {
    h.dtype = dtype;
    const auto type = dtype == DType::F16 ? torch::kHalf : dtype == DType::BF16 ? torch::kBFloat16 : torch::kFloat;
    if (dtype == DType::I64) throw InvalidArgument("to_host: a float tensor cannot be stored as I64");
    c = t.detach().to(torch::kCPU, type).contiguous();
  }
  h.data.resize(static_cast<std::size_t>(c.nbytes()));
  std::memcpy(h.data.data(), c.data_ptr(), h.data.size());
  return h;
}

TensorDict module_weights(const torch::nn::Module& module, DType dtype) {
  TensorDict d;
  for (const auto& p : module.named_parameters()) d.add(p.key(), to_host(p.value(), dtype));
  for (const auto& b : module.named_buffers()) d.add(b.key(), to_host(b.value(), dtype));
  return d;
}

namespace {
std::vector<std::int64_t> sizes_of(const torch::Tensor& t) { return t.sizes().vec(); }
}  // namespace

void load_weights(torch::nn::Module& module, const TensorDict& weights, const std::string& source) {
  torch::NoGradGuard no_grad;
  std::set<std::string> used;
  auto copy_into = [&](const std::string& name, torch::Tensor& target) {
    const HostTensor* t = weights.find(name);
    if (!t)
      throw FormatError(source + ": missing tensor '" + name + "' (expected shape " +
                        shape_string(sizes_of(target)) + ")");
    if (t->shape != sizes_of(target))
      throw FormatError(source + ": tensor '" + name + "': expected shape " + shape_string(sizes_of(target)) +
                        ", found " + shape_string(t->shape));
    target.copy_(to_torch(*t));
    used.insert(name);
  };
  for (auto& p : module.named_parameters()) copy_into(p.key(), p.value());
  for (auto& b : module.named_buffers()) copy_into(b.key(), b.value());
  std::string extra;
  for (const auto& [name, t] : weights.items())
    if (!used.count(name)) extra += (extra.empty() ? "'" : ", '") + name + "'";
  if (!extra.empty()) throw FormatError(source + ": tensors the model does not have: " + extra);
}

}  // namespace dubkit
