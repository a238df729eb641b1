// libFuzzer target: provenance manifests travel inside and beside files anyone can edit, so any
// bytes must parse or end in a dubkit::Error, and what parses must serialise again.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "provenance/manifest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const dubkit::Manifest m = dubkit::parse_manifest(std::string(reinterpret_cast<const char*>(data), size), "fuzz-input");
    (void)dubkit::parse_manifest(dubkit::manifest_json(m), "fuzz-roundtrip");
  } catch (const dubkit::Error&) {
  }
  return 0;
}
