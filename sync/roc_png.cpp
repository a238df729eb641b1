// write_roc_png (sync/detection_eval.hpp), apart so that the evaluation itself needs no OpenCV
// (its fuzz target builds without it).
#include <algorithm>
#include <cstdio>

#include "sync/chart.hpp"
#include "sync/detection_eval.hpp"

namespace dubkit {

void write_roc_png(const DetectionEval& e, const std::string& path, const std::vector<std::string>& names) {
  Chart c({640, 640}, {80, 60, 520, 500}, 0, 1, 0, 1);
  c.axes("ROC of " + e.score + ": real vs each manipulation", "false accept rate (fake taken as real)",
         "true accept rate");
  c.line({0, 1}, {0, 1}, cv::Scalar(200, 200, 200), 1);
  std::vector<std::pair<std::string, cv::Scalar>> legend;
  int k = 0;
  for (const DetectionGroup& g : e.groups) {
    if (names.empty() ? g.per_shift : std::find(names.begin(), names.end(), g.name) == names.end()) continue;
    const cv::Scalar col = Chart::colour(k++);
    c.line(g.roc.fpr, g.roc.tpr, col);
    char label[96];
    std::snprintf(label, sizeof label, "%s  AUC %.3f  EER %.3f", g.name.c_str(), g.roc.auc, g.roc.eer);
    legend.emplace_back(label, col);
  }
  c.legend(legend, true);  // bottom right, where ROC curves rarely are
  c.save(path);
}

}  // namespace dubkit
