#include "sync/timeline.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/atomic_file.hpp"
#include "sync/chart.hpp"
#include "sync/csv.hpp"

namespace dubkit {
namespace {

std::string number(double v) {
  if (!std::isfinite(v)) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

int max_offset(const SyncScore& s) { return static_cast<int>(s.distances.size()) / 2; }
double median_distance(const SyncScore& s) { return s.confidence + s.min_distance; }

}  // namespace

void write_sync_timeline(const SyncScore& s, const std::string& path) {
  std::string out = csv_row({"window", "time_s", "offset", "confidence", "distance_at_clip_offset", "distance_at_zero",
                             "framewise_confidence"});
  const int m = max_offset(s);
  for (std::size_t w = 0; w < s.window_times.size(); ++w) {
    const auto [conf, off] = window_sync(s, w);
    const double at_clip = s.window_distances[w][s.offset + m], at_zero = s.window_distances[w][m];
    out += csv_row({std::to_string(w), number(s.window_times[w]), std::isfinite(conf) ? std::to_string(off) : "",
                    number(conf), number(at_clip), number(at_zero), number(median_distance(s) - at_clip)});
  }
  write_file_atomic(path, out);
}

void write_sync_plot(const SyncScore& s, const std::string& path, const std::string& title) {
  const int m = max_offset(s);
  std::vector<double> offsets, dist;
  double lo = INFINITY, hi = -INFINITY;
  for (int d = -m; d <= m; ++d) {
    offsets.push_back(d);
    dist.push_back(s.distances[d + m]);
    if (std::isfinite(s.distances[d + m])) lo = std::min(lo, s.distances[d + m]), hi = std::max(hi, s.distances[d + m]);
  }
  const double pad = 0.1 * (hi - lo) + 1e-6;
  Chart top({960, 720}, {90, 60, 830, 250}, -m, m, lo - pad, hi + pad);
  char heading[256];
  std::snprintf(heading, sizeof heading, "%s: offset %+d frames, LSE-D %.3f, LSE-C %.3f (%s)", title.c_str(), s.offset,
                s.min_distance, s.confidence, s.model.c_str());
  top.axes(heading, "offset d (frames; positive: the audio comes late)", "mean distance");
  top.line(offsets, dist, Chart::colour(0));
  top.horizontal(median_distance(s), cv::Scalar(160, 160, 160));
  top.marker(s.offset, s.min_distance, Chart::colour(3));

  std::vector<double> t, fconf, smooth;
  double flo = 0, fhi = 0;
  for (std::size_t w = 0; w < s.window_times.size(); ++w) {
    t.push_back(s.window_times[w]);
    const double c = median_distance(s) - s.window_distances[w][s.offset + m];
    fconf.push_back(c);
    if (std::isfinite(c)) flo = std::min(flo, c), fhi = std::max(fhi, c);
  }
  // The public evaluation's 9-window median filter (zero-padded at the ends, as scipy's medfilt).
  for (std::size_t w = 0; w < fconf.size(); ++w) {
    std::vector<double> k;
    for (long j = static_cast<long>(w) - 4; j <= static_cast<long>(w) + 4; ++j)
      k.push_back(j < 0 || j >= static_cast<long>(fconf.size()) ? 0.0 : fconf[j]);
    std::nth_element(k.begin(), k.begin() + 4, k.end());
    smooth.push_back(k[4]);
  }
  const double t0 = t.empty() ? 0 : t.front(), t1 = t.empty() ? 1 : t.back();
  const double span = fhi - flo + 1e-6;
  Chart bottom = top.panel({90, 430, 830, 220}, t0, t1, flo - 0.05 * span, fhi + 0.05 * span);
  bottom.axes("confidence per window at the clip's offset (light) and its 9-window median (dark)", "time (s)", "confidence");
  bottom.horizontal(0, cv::Scalar(160, 160, 160));
  bottom.line(t, fconf, cv::Scalar(230, 200, 160), 1);
  bottom.line(t, smooth, Chart::colour(0));
  top.save(path);
}

}  // namespace dubkit
