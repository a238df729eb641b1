// libFuzzer target: corpus manifests may come from elsewhere (a shared corpus), so any line
// must parse or end in a dubkit::Error.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "corpus/manifest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const dubkit::CorpusUtterance u =
        dubkit::parse_manifest_line(std::string(reinterpret_cast<const char*>(data), size), "fuzz-input");
    (void)dubkit::to_json_line(u);
  } catch (const dubkit::Error&) {
  }
  return 0;
}
