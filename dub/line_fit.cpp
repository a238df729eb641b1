#include "dub/line_fit.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace dubkit {

void LineFitOptions::validate() const {
  if (!(min_stretch > 0 && min_stretch <= 1)) throw InvalidArgument("--min-stretch must be in (0, 1]");
  if (!(max_stretch >= 1 && max_stretch <= 4)) throw InvalidArgument("--max-stretch must be in [1, 4]");
  if (!(gap >= 0 && gap <= 2)) throw InvalidArgument("--gap must be in [0, 2] seconds");
}

LineFit fit_line(double natural, double slot, double room_after, const LineFitOptions& o) {
  if (!(natural > 0) || !(slot > 0) || !std::isfinite(room_after))
    throw InvalidArgument("fit_line: natural and slot durations must be positive");
  LineFit f;
  const double stretch = slot / natural;
  if (stretch >= o.min_stretch && stretch <= o.max_stretch) {
    f.fit = "fitted";
    f.target_seconds = slot;
    f.available_seconds = slot;
  } else if (stretch > o.max_stretch) {
    f.fit = "short";
    f.target_seconds = natural * o.max_stretch;
    f.available_seconds = slot;
  } else {
    const double needed = natural * o.min_stretch;
    f.available_seconds = slot + (o.overflow == OverflowPolicy::Borrow ? std::max(0.0, room_after - o.gap) : 0.0);
    f.fit = needed <= f.available_seconds + 1e-9 ? "borrowed" : "overflow";
    f.target_seconds = needed;
  }
  f.stretch = f.target_seconds / natural;
  return f;
}

}  // namespace dubkit
