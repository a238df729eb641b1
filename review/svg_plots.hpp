// The review page's pictures drawn as inline SVG: the sync-confidence timeline, the waveform
// of the whole dubbed track and of each line. Each line's span is shaded on the timelines and
// carries data-start, the page script's seek target.
#pragma once

#include <string>
#include <vector>

#include "audio/waveform.hpp"
#include "dub/dub_report.hpp"

namespace dubkit {

// The min/max envelope of `w` between `start` and `end` seconds, stretched by CSS to the
// line's spectrogram width.
std::string line_waveform_svg(const Waveform& w, double start, double end);

// The report's per-window sync confidence over [0, t_max] seconds, its overall confidence as
// a dashed line, windows whose best offset is not 0 marked; a note when it has no windows.
std::string sync_timeline_svg(const DubReport& r, double t_max);

// The envelope of the whole dubbed track over [0, t_max] seconds.
std::string track_waveform_svg(const Waveform& w, const std::vector<DubLine>& lines, double t_max);

}  // namespace dubkit
