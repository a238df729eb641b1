#include "review/svg_plots.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "review/format.hpp"

namespace dubkit {
namespace {

// The min/max envelope of samples [first, last) as a closed path over `width` x `height`.
std::string envelope_path(const std::vector<float>& s, std::size_t first, std::size_t last, double x0, double width,
                          double height, double y0) {
  last = std::min(last, s.size());
  if (first >= last || width < 1) return "";
  const int columns = std::max(1, static_cast<int>(std::min<double>(width, static_cast<double>(last - first))));
  std::vector<float> lo(columns), hi(columns);
  const double per = static_cast<double>(last - first) / columns;
  for (int c = 0; c < columns; ++c) {
    const std::size_t a = first + static_cast<std::size_t>(c * per);
    const std::size_t b = std::max(a + 1, std::min(last, first + static_cast<std::size_t>((c + 1) * per)));
    float mn = 1, mx = -1;
    for (std::size_t i = a; i < b; ++i) {
      const float v = std::clamp(s[i], -1.0f, 1.0f);
      mn = std::min(mn, v);
      mx = std::max(mx, v);
    }
    lo[c] = mn;
    hi[c] = mx;
  }
  const double mid = y0 + height / 2, half = height / 2;
  std::ostringstream p;
  for (int c = 0; c < columns; ++c)
    p << (c ? " L" : "M") << num(x0 + (c + 0.5) * width / columns, 1) << ',' << num(mid - hi[c] * half - 0.25, 2);
  for (int c = columns - 1; c >= 0; --c)
    p << " L" << num(x0 + (c + 0.5) * width / columns, 1) << ',' << num(mid - lo[c] * half + 0.25, 2);
  p << " Z";
  return p.str();
}

struct Plot {
  double width = 1000, height = 200, left = 56, right = 16, top = 14, bottom = 44;
  double t_max = 1;
  double y_min = 0, y_max = 1;
  double x(double t) const { return left + (width - left - right) * std::clamp(t / t_max, 0.0, 1.0); }
  double y(double v) const { return top + (height - top - bottom) * (1 - (v - y_min) / (y_max - y_min)); }
  double inner_width() const { return width - left - right; }
  double inner_height() const { return height - top - bottom; }
};

std::string time_axis(const Plot& p) {
  std::ostringstream o;
  const double step = nice_step(p.t_max, 10);
  const int dec = decimals_for(step);
  const double base = p.top + p.inner_height();
  o << "<g class=\"axis\" font-size=\"11\" fill=\"#333\">"
    << "<line x1=\"" << p.left << "\" x2=\"" << p.left + p.inner_width() << "\" y1=\"" << base << "\" y2=\"" << base
    << "\" stroke=\"#333\"/>";
  for (int k = 0; k * step <= p.t_max + 1e-9; ++k) {
    const double t = k * step, x = p.x(t);
    o << "<line x1=\"" << num(x, 1) << "\" x2=\"" << num(x, 1) << "\" y1=\"" << base << "\" y2=\"" << base + 5
      << "\" stroke=\"#333\"/><text x=\"" << num(x, 1) << "\" y=\"" << base + 18 << "\" text-anchor=\"middle\">"
      << num(t, dec) << "</text>";
  }
  o << "<text x=\"" << p.left + p.inner_width() / 2 << "\" y=\"" << p.height - 6
    << "\" text-anchor=\"middle\">time (seconds)</text></g>";
  return o.str();
}

// Shaded spans of the lines over the plot area, each a click target seeking to the line.
std::string line_spans(const Plot& p, const std::vector<DubLine>& lines) {
  std::ostringstream o;
  o << "<g class=\"spans\">";
  for (const DubLine& l : lines) {
    const double x0 = p.x(l.start), x1 = std::max(p.x(l.end), x0 + 1);
    o << "<rect class=\"span\" data-start=\"" << num(l.start, 3) << "\" x=\"" << num(x0, 1) << "\" y=\"" << p.top
      << "\" width=\"" << num(x1 - x0, 1) << "\" height=\"" << p.inner_height()
      << "\" fill=\"#f3c969\" fill-opacity=\"0.35\"><title>" << html_escape("line " + std::to_string(l.index) + ": " + l.text)
      << "</title></rect><text x=\"" << num(x0 + 3, 1) << "\" y=\"" << p.top + 12 << "\" font-size=\"10\" fill=\"#7a5a00\">"
      << l.index << "</text>";
  }
  o << "</g>";
  return o.str();
}

}  // namespace

std::string line_waveform_svg(const Waveform& w, double start, double end) {
  const double width = 600, height = 56;
  const std::size_t a = static_cast<std::size_t>(std::max(0.0, std::floor(start * w.rate)));
  const std::size_t b = static_cast<std::size_t>(std::max(0.0, std::ceil(end * w.rate)));
  std::ostringstream o;
  // Stretched to the spectrogram's displayed width (CSS), so both show the same span of time.
  o << "<svg class=\"line-wave\" viewBox=\"0 0 " << width << ' ' << height
    << "\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"waveform\">"
    << "<line x1=\"0\" x2=\"" << width << "\" y1=\"" << height / 2 << "\" y2=\"" << height / 2
    << "\" stroke=\"#bbb\" vector-effect=\"non-scaling-stroke\"/>";
  const std::string path = envelope_path(w.samples, a, b, 0, width, height, 0);
  if (!path.empty()) o << "<path d=\"" << path << "\" fill=\"#2f6fb0\" stroke=\"none\"/>";
  o << "</svg>";
  return o.str();
}

std::string sync_timeline_svg(const DubReport& r, double t_max) {
  Plot p;
  p.height = 280;
  p.t_max = t_max;
  const std::size_t n = std::min(r.window_seconds.size(), r.window_confidence.size());
  double lo = 0, hi = 1;
  for (std::size_t i = 0; i < n; ++i) {
    lo = std::min(lo, r.window_confidence[i]);
    hi = std::max(hi, r.window_confidence[i]);
  }
  if (std::isfinite(r.sync_confidence)) hi = std::max(hi, r.sync_confidence);
  const double ystep = nice_step(hi - lo, 5);
  p.y_min = std::floor(lo / ystep) * ystep;
  p.y_max = std::ceil(hi / ystep) * ystep;
  if (p.y_max <= p.y_min) p.y_max = p.y_min + ystep;
  const int ydec = decimals_for(ystep);

  std::ostringstream o;
  o << "<svg id=\"sync-timeline\" viewBox=\"0 0 " << p.width << ' ' << p.height
    << "\" width=\"" << p.width << "\" height=\"" << p.height << "\" role=\"img\" aria-label=\"sync confidence over time\">"
    << "<rect x=\"" << p.left << "\" y=\"" << p.top << "\" width=\"" << p.inner_width() << "\" height=\"" << p.inner_height()
    << "\" fill=\"#fafafa\" stroke=\"#ccc\"/>";
  o << line_spans(p, r.lines);
  // y axis: grid lines, ticks, labels
  o << "<g class=\"axis\" font-size=\"11\" fill=\"#333\"><line x1=\"" << p.left << "\" x2=\"" << p.left << "\" y1=\"" << p.top
    << "\" y2=\"" << p.top + p.inner_height() << "\" stroke=\"#333\"/>";
  for (int k = 0; p.y_min + k * ystep <= p.y_max + ystep * 1e-6; ++k) {
    const double v = p.y_min + k * ystep, y = p.y(v);
    o << "<line x1=\"" << p.left - 5 << "\" x2=\"" << p.left + p.inner_width() << "\" y1=\"" << num(y, 1) << "\" y2=\""
      << num(y, 1) << "\" stroke=\"" << (std::fabs(v) < ystep * 1e-6 ? "#999" : "#e4e4e4") << "\"/><text x=\"" << p.left - 8
      << "\" y=\"" << num(y + 4, 1) << "\" text-anchor=\"end\">" << num(v, ydec) << "</text>";
  }
  o << "<text transform=\"translate(14," << p.top + p.inner_height() / 2
    << ") rotate(-90)\" text-anchor=\"middle\">sync confidence</text></g>";
  o << time_axis(p);
  if (std::isfinite(r.sync_confidence)) {
    const double y = p.y(r.sync_confidence);
    o << "<line class=\"overall\" x1=\"" << p.left << "\" x2=\"" << p.left + p.inner_width() << "\" y1=\"" << num(y, 1)
      << "\" y2=\"" << num(y, 1) << "\" stroke=\"#b03a2e\" stroke-dasharray=\"5 4\"/><text x=\"" << p.left + p.inner_width() - 4
      << "\" y=\"" << num(y - 4, 1) << "\" text-anchor=\"end\" font-size=\"11\" fill=\"#b03a2e\">overall "
      << num(r.sync_confidence, 2) << "</text>";
  }
  if (n > 0) {
    o << "<polyline class=\"confidence\" fill=\"none\" stroke=\"#2f6fb0\" stroke-width=\"1.5\" points=\"";
    for (std::size_t i = 0; i < n; ++i)
      o << (i ? " " : "") << num(p.x(r.window_seconds[i]), 1) << ',' << num(p.y(r.window_confidence[i]), 1);
    o << "\"/>";
    // Windows whose best offset is not 0 frames, marked.
    if (r.window_offset.size() >= n)
      for (std::size_t i = 0; i < n; ++i)
        if (r.window_offset[i] != 0)
          o << "<circle cx=\"" << num(p.x(r.window_seconds[i]), 1) << "\" cy=\"" << num(p.y(r.window_confidence[i]), 1)
            << "\" r=\"2.5\" fill=\"#b03a2e\"><title>" << num(r.window_seconds[i], 2) << " s: offset "
            << signed_int(r.window_offset[i]) << " frame(s)</title></circle>";
  } else {
    o << "<text x=\"" << p.left + p.inner_width() / 2 << "\" y=\"" << p.top + p.inner_height() / 2
      << "\" text-anchor=\"middle\" fill=\"#777\">no per-window sync confidence in the report</text>";
  }
  o << "</svg>";
  return o.str();
}

std::string track_waveform_svg(const Waveform& w, const std::vector<DubLine>& lines, double t_max) {
  Plot p;
  p.height = 150;
  p.t_max = t_max;
  std::ostringstream o;
  o << "<svg id=\"waveform\" viewBox=\"0 0 " << p.width << ' ' << p.height
    << "\" width=\"" << p.width << "\" height=\"" << p.height << "\" role=\"img\" aria-label=\"waveform of the dubbed audio\">"
    << "<rect x=\"" << p.left << "\" y=\"" << p.top << "\" width=\"" << p.inner_width() << "\" height=\"" << p.inner_height()
    << "\" fill=\"#fafafa\" stroke=\"#ccc\"/>";
  o << line_spans(p, lines);
  const double audio_end = std::min(w.seconds(), t_max);
  const std::size_t last = static_cast<std::size_t>(audio_end * w.rate);
  const std::string path = envelope_path(w.samples, 0, last, p.left, p.x(audio_end) - p.left, p.inner_height(), p.top);
  if (!path.empty()) o << "<path d=\"" << path << "\" fill=\"#2f6fb0\" stroke=\"none\"/>";
  o << time_axis(p) << "</svg>";
  return o.str();
}

}  // namespace dubkit
