#include "sync/chart.hpp"

#include <cmath>
#include <cstdio>
#include <utility>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace dubkit {
namespace {

const cv::Scalar kInk(40, 40, 40), kGrid(225, 225, 225);
constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;

std::string tick_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, std::abs(v) >= 100 || v == std::round(v) ? "%.0f" : "%.2g", v);
  return buf;
}

// 4-6 round tick values covering [a, b].
std::vector<double> ticks(double a, double b) {
  const double span = b - a;
  if (!(span > 0)) return {a};
  const double raw = span / 5, mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double step = raw / mag < 1.5 ? mag : raw / mag < 3.5 ? 2 * mag : raw / mag < 7.5 ? 5 * mag : 10 * mag;
  std::vector<double> out;
  for (double v = std::ceil(a / step) * step; v <= b + 1e-9 * span; v += step) out.push_back(std::abs(v) < 1e-12 * step ? 0 : v);
  return out;
}

}  // namespace

Chart::Chart(cv::Size canvas, cv::Rect area, double x0, double x1, double y0, double y1)
    : Chart(cv::Mat(canvas, CV_8UC3, cv::Scalar(255, 255, 255)), area, x0, x1, y0, y1) {}

// An empty range (one point, or no data) is widened so that every point still maps inside.
Chart::Chart(cv::Mat canvas, cv::Rect area, double x0, double x1, double y0, double y1)
    : canvas_(std::move(canvas)), area_(area), x0_(x0), x1_(x1 > x0 ? x1 : x0 + 1), y0_(y0), y1_(y1 > y0 ? y1 : y0 + 1) {}

Chart Chart::panel(cv::Rect area, double x0, double x1, double y0, double y1) const {
  return Chart(canvas_, area, x0, x1, y0, y1);  // cv::Mat copies share the pixels
}

cv::Point Chart::to_pixel(double x, double y) const {
  const double px = area_.x + (x - x0_) / (x1_ - x0_) * area_.width;
  const double py = area_.y + area_.height - (y - y0_) / (y1_ - y0_) * area_.height;
  return {static_cast<int>(std::lround(px)), static_cast<int>(std::lround(py))};
}

void Chart::axes(const std::string& title, const std::string& x_label, const std::string& y_label) {
  for (double v : ticks(x0_, x1_)) {
    cv::line(canvas_, to_pixel(v, y0_), to_pixel(v, y1_), kGrid, 1);
    const cv::Point p = to_pixel(v, y0_);
    cv::putText(canvas_, tick_text(v), p + cv::Point(-10, 18), kFont, 0.4, kInk, 1, cv::LINE_AA);
  }
  for (double v : ticks(y0_, y1_)) {
    cv::line(canvas_, to_pixel(x0_, v), to_pixel(x1_, v), kGrid, 1);
    cv::putText(canvas_, tick_text(v), to_pixel(x0_, v) + cv::Point(-42, 4), kFont, 0.4, kInk, 1, cv::LINE_AA);
  }
  cv::rectangle(canvas_, area_, kInk, 1);
  cv::putText(canvas_, title, {area_.x, area_.y - 26}, kFont, 0.55, kInk, 1, cv::LINE_AA);
  cv::putText(canvas_, x_label, {area_.x + area_.width / 2 - 4 * int(x_label.size()), area_.y + area_.height + 36}, kFont,
              0.45, kInk, 1, cv::LINE_AA);
  cv::putText(canvas_, y_label, {area_.x - 46, area_.y - 8}, kFont, 0.45, kInk, 1, cv::LINE_AA);
}

void Chart::line(const std::vector<double>& x, const std::vector<double>& y, cv::Scalar bgr, int thickness) {
  const cv::Rect clip = area_;
  for (std::size_t i = 1; i < x.size() && i < y.size(); ++i) {
    if (!std::isfinite(x[i - 1]) || !std::isfinite(y[i - 1]) || !std::isfinite(x[i]) || !std::isfinite(y[i])) continue;
    cv::Point a = to_pixel(x[i - 1], y[i - 1]), b = to_pixel(x[i], y[i]);
    if (cv::clipLine(clip, a, b)) cv::line(canvas_, a, b, bgr, thickness, cv::LINE_AA);
  }
}

void Chart::horizontal(double y, cv::Scalar bgr) { cv::line(canvas_, to_pixel(x0_, y), to_pixel(x1_, y), bgr, 1, cv::LINE_AA); }
void Chart::marker(double x, double y, cv::Scalar bgr) { cv::circle(canvas_, to_pixel(x, y), 5, bgr, 2, cv::LINE_AA); }

void Chart::legend(const std::vector<std::pair<std::string, cv::Scalar>>& entries, bool bottom) {
  int width = 0;
  for (const auto& e : entries) width = std::max(width, cv::getTextSize(e.first, kFont, 0.45, 1, nullptr).width);
  const int height = 20 * int(entries.size()) + 8;
  const cv::Rect box(area_.x + area_.width - width - 50, bottom ? area_.y + area_.height - height - 8 : area_.y + 8,
                     width + 42, height);
  cv::rectangle(canvas_, box, cv::Scalar(255, 255, 255), cv::FILLED);
  cv::rectangle(canvas_, box, kInk, 1);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const int y = box.y + 18 + 20 * int(i);
    cv::line(canvas_, {box.x + 6, y - 4}, {box.x + 28, y - 4}, entries[i].second, 2, cv::LINE_AA);
    cv::putText(canvas_, entries[i].first, {box.x + 34, y}, kFont, 0.45, kInk, 1, cv::LINE_AA);
  }
}

void Chart::save(const std::string& path) const {
  AtomicOutput out(path);
  bool ok = false;
  try {
    ok = cv::imwrite(out.temp_path(), canvas_);
  } catch (const cv::Exception& e) {
    throw IoError(path + ": cannot write the chart: " + e.what());
  }
  if (!ok) throw IoError(path + ": cannot write the chart (a .png path?)");
  out.commit();
}

cv::Scalar Chart::colour(int i) {
  static const cv::Scalar k[] = {{180, 119, 31}, {14, 127, 255}, {44, 160, 44}, {40, 39, 214}, {189, 103, 148}, {75, 86, 140}, {194, 119, 227}, {127, 127, 127}};
  return k[i % 8];
}

}  // namespace dubkit
