// libFuzzer target: dub scripts (SubRip / WebVTT) come from translators and subtitle tools, so
// any bytes must give a checked script or end in a dubkit::Error; what parses holds the
// promises of dub/script.hpp (UTF-8 text, positive slots, no overlaps).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/error.hpp"
#include "core/utf8.hpp"
#include "dub/script.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const dubkit::Script s = dubkit::parse_script(std::string(reinterpret_cast<const char*>(data), size), "fuzz-input");
    for (std::size_t i = 0; i < s.lines.size(); ++i) {
      const dubkit::ScriptLine& l = s.lines[i];
      if (l.text.empty() || !(l.end > l.start) || dubkit::first_invalid_utf8(l.text) != std::string::npos) std::abort();
      if (i > 0 && l.start < s.lines[i - 1].end - 1e-6) std::abort();
    }
  } catch (const dubkit::Error&) {
  }
  return 0;
}
