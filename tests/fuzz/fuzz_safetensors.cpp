// libFuzzer target: any byte string handed to the safetensors parser must end in a parsed file
// or a dubkit::Error, never a crash, a sanitizer report or another exception type.
#include <cstddef>
#include <cstdint>

#include "core/error.hpp"
#include "core/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    dubkit::SafetensorsFile f(data, size, "fuzz-input");
    for (const dubkit::TensorView& t : f.tensors()) (void)t.to_float();
  } catch (const dubkit::Error&) {
  }
  return 0;
}
