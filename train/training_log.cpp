#include "train/training_log.hpp"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace dubkit {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}

TrainingLog::TrainingLog(std::string csv_path, std::string png_path, std::vector<std::string> metrics, long resume_step)
    : csv_(std::move(csv_path)), png_(std::move(png_path)), metric_names_(std::move(metrics)) {
  std::ifstream f(csv_);
  std::string line;
  if (!f || !std::getline(f, line)) return;  // header
  while (std::getline(f, line)) {
    // Cells are split by hand: getline drops an empty last cell (an unmeasured metric).
    std::vector<double> v;
    std::size_t begin = 0;
    while (true) {
      const std::size_t comma = line.find(',', begin);
      const std::string cell = line.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin);
      try {
        v.push_back(cell.empty() ? kNaN : std::stod(cell));
      } catch (const std::exception&) {
        throw FormatError(csv_ + ": '" + cell + "' is not a number");
      }
      if (comma == std::string::npos) break;
      begin = comma + 1;
    }
    if (v.size() != 4 + metric_names_.size()) throw FormatError(csv_ + ": a row has the wrong number of columns");
    if (static_cast<long>(v[0]) >= resume_step) break;
    rows_.push_back({static_cast<long>(v[0]), v[1], v[2], v[3], std::vector<double>(v.begin() + 4, v.end())});
  }
}

void TrainingLog::add(long step, double loss, double lr, double seconds, const std::map<std::string, double>& metrics) {
  Row r{step, loss, lr, seconds, std::vector<double>(metric_names_.size(), kNaN)};
  for (std::size_t i = 0; i < metric_names_.size(); ++i) {
    const auto it = metrics.find(metric_names_[i]);
    if (it != metrics.end()) r.metrics[i] = it->second;
  }
  rows_.push_back(std::move(r));
}

void TrainingLog::write() const {
  std::ostringstream csv;
  csv << "step,loss,lr,seconds";
  for (const std::string& m : metric_names_) csv << ',' << m;
  csv << '\n';
  for (const Row& r : rows_) {
    csv << r.step << ',' << r.loss << ',' << r.lr << ',' << r.seconds;
    for (double m : r.metrics) {
      csv << ',';
      if (!std::isnan(m)) csv << m;
    }
    csv << '\n';
  }
  write_file_atomic(csv_, csv.str());
  if (rows_.empty()) return;

  // One panel per series with values (a metric a run never logs, such as a switched-off
  // loss, gets none): the loss (log scale) and each metric, against the step.
  std::vector<int> series{0};
  for (int m = 0; m < static_cast<int>(metric_names_.size()); ++m)
    if (std::any_of(rows_.begin(), rows_.end(), [&](const Row& r) { return std::isfinite(r.metrics[m]); }))
      series.push_back(m + 1);
  const int w = 900, panel_h = 260, margin = 60;
  const int panels = static_cast<int>(series.size());
  cv::Mat img(panel_h * panels, w, CV_8UC3, cv::Scalar(255, 255, 255));
  const double max_step = std::max(1.0, double(rows_.back().step));
  for (int row = 0; row < panels; ++row) {
    const int p = series[row];
    std::vector<cv::Point2d> pts;
    for (const Row& r : rows_) {
      const double v = p == 0 ? std::log10(std::max(r.loss, 1e-6)) : r.metrics[p - 1];
      if (std::isfinite(v)) pts.emplace_back(r.step, v);
    }
    const int top = row * panel_h;
    const cv::Rect box(margin, top + 30, w - 2 * margin, panel_h - 70);
    cv::rectangle(img, box, cv::Scalar(0, 0, 0), 1);
    const std::string title = p == 0 ? "training loss (log10)" : metric_names_[p - 1];
    cv::putText(img, title, {margin, top + 20}, cv::FONT_HERSHEY_SIMPLEX, 0.55, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
    if (pts.empty()) continue;
    double lo = pts[0].y, hi = pts[0].y;
    for (const auto& q : pts) lo = std::min(lo, q.y), hi = std::max(hi, q.y);
    if (hi - lo < 1e-9) hi = lo + 1;
    std::vector<cv::Point> line;
    for (const auto& q : pts)
      line.emplace_back(box.x + static_cast<int>(q.x / max_step * box.width),
                        box.y + box.height - static_cast<int>((q.y - lo) / (hi - lo) * box.height));
    cv::polylines(img, line, false, cv::Scalar(180, 80, 20), 1, cv::LINE_AA);
    for (const cv::Point& q : line)
      if (p > 0) cv::circle(img, q, 2, cv::Scalar(180, 80, 20), cv::FILLED);
    char label[64];
    std::snprintf(label, sizeof(label), "%.4g", hi);
    cv::putText(img, label, {4, box.y + 10}, cv::FONT_HERSHEY_SIMPLEX, 0.4, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
    std::snprintf(label, sizeof(label), "%.4g", lo);
    cv::putText(img, label, {4, box.y + box.height}, cv::FONT_HERSHEY_SIMPLEX, 0.4, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
    std::snprintf(label, sizeof(label), "step %ld", rows_.back().step);
    cv::putText(img, label, {box.x + box.width - 90, box.y + box.height + 18}, cv::FONT_HERSHEY_SIMPLEX, 0.4,
                cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  }
  AtomicOutput out(png_);
  if (!cv::imwrite(out.temp_path(), img)) throw IoError("cannot write '" + png_ + "'");
  out.commit();
}

}  // namespace dubkit
