// libFuzzer target: consent records arrive from studios and performers' agents, so any bytes
// must parse or end in a dubkit::Error, and what parses must serialise and give a signing text.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "provenance/consent.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const dubkit::ConsentRecord r = dubkit::parse_consent(std::string(reinterpret_cast<const char*>(data), size), "fuzz-input");
    (void)dubkit::consent_signing_text(r);
    (void)dubkit::parse_consent(dubkit::consent_json(r), "fuzz-roundtrip");
  } catch (const dubkit::Error&) {
  }
  return 0;
}
