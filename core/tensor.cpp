#include "core/tensor.hpp"

#include <cstring>
#include <limits>

#include "core/error.hpp"

namespace dubkit {

std::size_t dtype_size(DType t) {
  switch (t) {
    case DType::F32: return 4;
    case DType::F16: return 2;
    case DType::BF16: return 2;
    case DType::I64: return 8;
  }
  return 0;
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
    case DType::I64: return "I64";
  }
  return "?";
}

DType dtype_from_name(const std::string& name, const std::string& where) {
  if (name == "F32") return DType::F32;
  if (name == "F16") return DType::F16;
  if (name == "BF16") return DType::BF16;
  if (name == "I64") return DType::I64;
  throw FormatError(where + ": unsupported dtype '" + name + "' (dubkit reads F32, F16, BF16, I64)");
}

std::int64_t checked_numel(const std::vector<std::int64_t>& shape, const std::string& where,
                           std::int64_t limit) {
  std::int64_t n = 1;
  for (std::int64_t d : shape) {
    if (d < 0) throw FormatError(where + ": negative dimension in shape " + shape_string(shape));
    if (d != 0 && n > limit / d)
      throw FormatError(where + ": shape " + shape_string(shape) + " has too many elements");
    n *= d;
  }
  return n;
}

std::string shape_string(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

std::int64_t HostTensor::numel() const {
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;
  return n;
}

namespace {
float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = (h & 0x8000u) << 16;
  std::uint32_t exp = (h >> 10) & 0x1f;
  std::uint32_t man = h & 0x3ffu;
  std::uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (man << 13);
  } else if (exp == 0) {
    if (man == 0) {
      bits = sign;
    } else {  // subnormal: renormalise
      int e = -1;
      do { ++e; man <<= 1; } while ((man & 0x400u) == 0);
      bits = sign | (static_cast<std::uint32_t>(127 - 15 - e) << 23) | ((man & 0x3ffu) << 13);
    }
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}
}  // namespace

std::vector<float> HostTensor::to_float() const {
  const std::size_t n = static_cast<std::size_t>(numel());
  std::vector<float> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    switch (dtype) {
      case DType::F32: std::memcpy(&out[i], data.data() + 4 * i, 4); break;
      case DType::F16: {
        std::uint16_t h;
        std::memcpy(&h, data.data() + 2 * i, 2);
        out[i] = half_to_float(h);
        break;
      }
      case DType::BF16: {
        std::uint16_t h;
        std::memcpy(&h, data.data() + 2 * i, 2);
        const std::uint32_t bits = static_cast<std::uint32_t>(h) << 16;
        std::memcpy(&out[i], &bits, 4);
        break;
      }
      case DType::I64: {
        std::int64_t v;
        std::memcpy(&v, data.data() + 8 * i, 8);
        out[i] = static_cast<float>(v);
        break;
      }
    }
  }
  return out;
}

HostTensor HostTensor::from_float(std::vector<std::int64_t> shape, const std::vector<float>& values) {
  HostTensor t;
  t.dtype = DType::F32;
  t.shape = std::move(shape);
  if (t.numel() != static_cast<std::int64_t>(values.size()))
    throw InvalidArgument("HostTensor::from_float: " + std::to_string(values.size()) +
                          " values for shape " + shape_string(t.shape));
  t.data.resize(values.size() * 4);
  std::memcpy(t.data.data(), values.data(), t.data.size());
  return t;
}

void TensorDict::add(std::string name, HostTensor t) {
  if (!index_.emplace(name, items_.size()).second)
    throw FormatError("duplicate tensor name '" + name + "'");
  items_.emplace_back(std::move(name), std::move(t));
}

const HostTensor* TensorDict::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &items_[it->second].second;
}

const HostTensor& TensorDict::at(const std::string& name) const {
  if (const HostTensor* t = find(name)) return *t;
  throw InvalidArgument("no tensor named '" + name + "'");
}

}  // namespace dubkit
