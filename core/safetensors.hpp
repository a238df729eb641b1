// safetensors reading (memory-mapped, validated) and writing (atomic).
//
// Format: 8-byte little-endian header length N, N bytes of JSON {name: {dtype, shape,
// data_offsets: [begin, end]}, "__metadata__": {str: str}}, then the data region; offsets are
// relative to the data region. Validation: N bounded (100 MB) and inside the file, JSON an
// object of that exact shape (nesting depth bounded while parsing), dtype known, offsets inside
// the data region, not overlapping, and end-begin == numel * dtype size. A malformed or hostile
// file is a FormatError naming the file and the tensor; nothing is allocated from its claims.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.hpp"

namespace dubkit {

// A view of one tensor inside a mapped file; `data` lives as long as the SafetensorsFile.
struct TensorView {
  std::string name;
  DType dtype;
  std::vector<std::int64_t> shape;
  const std::byte* data;  // not aligned beyond 1 byte in general
  std::size_t nbytes;

  HostTensor copy() const;
  std::vector<float> to_float() const;
};

class SafetensorsFile {
 public:
  // Maps and validates `path`. Throws IoError / FormatError.
  explicit SafetensorsFile(const std::string& path);
  // Validates bytes already in memory (not copied: they must outlive this object).
  SafetensorsFile(const void* data, std::size_t size, std::string source);
  ~SafetensorsFile();
  SafetensorsFile(SafetensorsFile&&) noexcept;
  SafetensorsFile& operator=(SafetensorsFile&&) noexcept;
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& source() const { return source_; }
  // In file (data offset) order.
  const std::vector<TensorView>& tensors() const { return tensors_; }
  const TensorView* find(const std::string& name) const;
  // Throws InvalidArgument naming the file and the tensor when absent.
  const TensorView& at(const std::string& name) const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  TensorDict to_dict() const;

 private:
  void parse(const std::byte* data, std::size_t size);

  struct Mapping;
  std::unique_ptr<Mapping> mapping_;
  std::string source_;
  std::vector<TensorView> tensors_;
  std::map<std::string, std::string> metadata_;
};

// Writes `tensors` in their order, through a temporary file renamed into place.
void write_safetensors(const std::string& path, const TensorDict& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace dubkit
