// libFuzzer target: labels and results tables (`sync eval`, `sync batch` resuming) come from
// other tools and other people. Any bytes must give a table whose rows all have the header's
// width, or end in a dubkit::Error; a table evaluated against itself (as labels and as results)
// must end in figures within their ranges or a dubkit::Error.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/error.hpp"
#include "sync/csv.hpp"
#include "sync/detection_eval.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (bool drop : {false, true}) {
    try {
      const dubkit::CsvTable t = dubkit::parse_csv(text, "fuzz-input", drop);
      for (const auto& row : t.rows)
        if (row.size() != t.columns.size()) std::abort();
      const dubkit::DetectionEval e = dubkit::evaluate_detection(t, "labels", t, "results");
      for (const auto& g : e.groups)
        if (!(g.roc.auc >= 0 && g.roc.auc <= 1) || !(g.roc.eer >= 0 && g.roc.eer <= 1)) std::abort();
      dubkit::detection_markdown(e);
    } catch (const dubkit::Error&) {
    }
  }
  return 0;
}
