// libFuzzer target: any byte string read as a mel file (`dubkit vocode --mel`) must end in a mel
// of the shape it declares or a dubkit::Error, never a crash, a sanitizer report or another
// exception type.
#include <cstddef>
#include <cstdint>

#include "audio/mel_file.hpp"
#include "core/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const dubkit::MelFile m = dubkit::read_mel_file_from_memory(data, size, "fuzz-input");
    if (m.mel.data.size() != static_cast<std::size_t>(m.mel.rows) * m.mel.cols) __builtin_trap();
  } catch (const dubkit::Error&) {
  }
  return 0;
}
