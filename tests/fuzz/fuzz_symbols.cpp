// libFuzzer target: symbol tables come from model files' metadata, so any byte string must
// parse or end in a dubkit::Error.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "text/symbols.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const dubkit::SymbolTable t =
        dubkit::SymbolTable::from_json(std::string(reinterpret_cast<const char*>(data), size), "fuzz-input");
    (void)t.encode(t.symbols());
  } catch (const dubkit::Error&) {
  }
  return 0;
}
