// A training run's log: one CSV row per step (step, loss, learning rate, seconds, and any
// metric measured at that step) and a PNG of the curves, both rewritten atomically.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace dubkit {

class TrainingLog {
 public:
  // Reads `csv_path` when it exists (a resumed run), keeping only rows before `resume_step`.
  TrainingLog(std::string csv_path, std::string png_path, std::vector<std::string> metrics, long resume_step = 0);
  void add(long step, double loss, double lr, double seconds, const std::map<std::string, double>& metrics = {});
  void write() const;  // CSV and PNG

 private:
  struct Row {
    long step;
    double loss, lr, seconds;
    std::vector<double> metrics;  // NaN where not measured
  };
  std::string csv_, png_;
  std::vector<std::string> metric_names_;
  std::vector<Row> rows_;
};

}  // namespace dubkit
