// Plain host tensors: named, typed, shaped bytes, with no LibTorch dependency, so weight files
// can be parsed, validated and converted by code that never includes <torch/torch.h>.
// torch_bridge.hpp turns them into torch::Tensor where a model needs one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace dubkit {

// The element types dubkit reads and writes (safetensors names in comments).
enum class DType { F32, F16, BF16, I64 };  // "F32", "F16", "BF16", "I64"

std::size_t dtype_size(DType t);
const char* dtype_name(DType t);  // the safetensors spelling
// Parses a safetensors dtype name; throws FormatError naming `where` for anything else.
DType dtype_from_name(const std::string& name, const std::string& where);

// Product of the dims; throws FormatError when a dim is negative or the product overflows
// `limit` elements, so a hostile header cannot make us allocate its claimed size.
std::int64_t checked_numel(const std::vector<std::int64_t>& shape, const std::string& where,
                           std::int64_t limit = std::int64_t{1} << 40);

std::string shape_string(const std::vector<std::int64_t>& shape);  // "[80, 513]"

// Owning, contiguous, row-major, little-endian.
struct HostTensor {
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  std::vector<std::byte> data;  // numel() * dtype_size(dtype) bytes

  std::int64_t numel() const;
  // The values converted to float32 (F16/BF16 widened, I64 cast).
  std::vector<float> to_float() const;
  static HostTensor from_float(std::vector<std::int64_t> shape, const std::vector<float>& values);
};

// An ordered name -> tensor dictionary; order is the file's (state-dict) order.
class TensorDict {
 public:
  // Throws FormatError when `name` is already present.
  void add(std::string name, HostTensor t);
  const HostTensor* find(const std::string& name) const;  // nullptr when absent
  // Throws InvalidArgument naming the tensor when absent.
  const HostTensor& at(const std::string& name) const;
  const std::vector<std::pair<std::string, HostTensor>>& items() const { return items_; }
  std::size_t size() const { return items_.size(); }
  // Mutable access to the tensors (names stay fixed, so the index stays valid).
  HostTensor& tensor(std::size_t i) { return items_[i].second; }

 private:
  std::vector<std::pair<std::string, HostTensor>> items_;
  std::unordered_map<std::string, std::size_t> index_;
};

}  // namespace dubkit
