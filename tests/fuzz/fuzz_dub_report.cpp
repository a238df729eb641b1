// libFuzzer target: a dub report is read by dub-check and the review page from wherever the
// reviewer got it, so any bytes must give a report or end in a dubkit::Error, and what is read
// must write back as a report that reads the same (to_json -> from_json -> to_json is stable).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "dub/dub_report.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto j = nlohmann::ordered_json::parse(data, data + size, nullptr, false);
  if (j.is_discarded()) return 0;  // not JSON: nlohmann's parser, not dubkit's reader
  try {
    const std::string once = dubkit::DubReport::from_json(j, "fuzz-input").to_json().dump();
    const std::string twice = dubkit::DubReport::from_json(nlohmann::ordered_json::parse(once), "fuzz-roundtrip").to_json().dump();
    if (once != twice) std::abort();
  } catch (const dubkit::Error&) {
  }
  return 0;
}
