#include "synth/durations.hpp"

#include <cmath>
#include <cstdio>
#include <string>

#include "core/error.hpp"

namespace dubkit {

namespace {

std::string fmt(const char* format, double a, double b = 0, double c = 0, double d = 0) {
  char buf[256];
  std::snprintf(buf, sizeof(buf), format, a, b, c, d);
  return buf;
}

}  // namespace

void DurationControls::validate() const {
  if (!(rate >= 0.25 && rate <= 4.0)) throw InvalidArgument(fmt("speaking rate %g must be in [0.25, 4]", rate));
  if (total_seconds >= 0 && !(total_seconds > 0 && total_seconds <= 600))
    throw InvalidArgument(fmt("target duration %g s must be in (0, 600] seconds", total_seconds));
  if (!(min_stretch > 0 && min_stretch <= 1 && max_stretch >= 1 && max_stretch <= 10))
    throw InvalidArgument(fmt("stretch bounds [%g, %g] must lie in (0, 1] and [1, 10]", min_stretch, max_stretch));
  for (const auto& [index, seconds] : phone_seconds)
    if (!(seconds >= 0 && seconds <= 10))
      throw InvalidArgument(fmt("duration %g s of phone %g must be in [0, 10] seconds", seconds, double(index)));
}

DurationPlan plan_durations(const std::vector<double>& predicted, const DurationControls& c, double fps) {
  c.validate();
  if (predicted.empty()) throw InvalidArgument("duration plan: no phones");
  DurationPlan plan;
  plan.frames.resize(predicted.size());
  double fixed = 0, free = 0;
  for (const auto& [index, seconds] : c.phone_seconds)
    if (index >= predicted.size())
      throw InvalidArgument(fmt("phone index %g is out of range: the text has %g phones", double(index), double(predicted.size())));
  for (std::size_t i = 0; i < predicted.size(); ++i) {
    const auto it = c.phone_seconds.find(i);
    if (it != c.phone_seconds.end()) {
      plan.frames[i] = it->second * fps;
      fixed += plan.frames[i];
    } else {
      plan.frames[i] = std::max(0.0, predicted[i]) / c.rate;
      free += plan.frames[i];
    }
  }
  double scale = 1.0;  // on top of the rate
  if (c.total_seconds >= 0) {
    const double target = c.total_seconds * fps;
    if (c.phone_seconds.size() == predicted.size())
      throw InvalidArgument(fmt("target duration %.3f s cannot be met: every phone has a fixed duration (%.3f s)",
                                c.total_seconds, fixed / fps));
    if (free <= 0)
      throw InvalidArgument(fmt("target duration %.3f s cannot be met: the free phones' predicted durations are all zero",
                                c.total_seconds));
    if (fixed >= target)
      throw InvalidArgument(fmt("target duration %.3f s cannot be met: the fixed phones alone last %.3f s", c.total_seconds,
                                fixed / fps));
    scale = (target - fixed) / free;
  }
  plan.stretch = scale / c.rate;
  if (plan.stretch < c.min_stretch || plan.stretch > c.max_stretch) {
    const double natural = (fixed + free * c.rate) / fps;
    throw InvalidArgument(fmt("the text needs %.2f s at its natural rate; %.2f s needs a stretch of %.2fx, outside the allowed ",
                              natural, (fixed + free * scale) / fps, plan.stretch) +
                          fmt("[%.2fx, %.2fx]", c.min_stretch, c.max_stretch));
  }
  double total = 0;
  for (std::size_t i = 0; i < plan.frames.size(); ++i) {
    if (c.phone_seconds.count(i) == 0) plan.frames[i] *= scale;
    total += plan.frames[i];
  }
  plan.total_frames = std::max(1L, std::lround(total));
  plan.seconds = plan.total_frames / fps;
  return plan;
}

}  // namespace dubkit
