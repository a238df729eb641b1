// `dubkit sync eval`: how well a sync score tells real clips from manipulated ones, from a
// labels table (`dubkit sync make-set`) and a results table (`dubkit sync batch`), joined on
// the `file` column.
//
//   labels   file, label (real | fake), manipulation (original | shift | swap | dub | any name),
//            shift_frames (the audio's true delay in frames, 0 for the others)
//   results  file, status (ok | an error kind), offset, and the score columns
//
// Per manipulation, real clips are the positives and that manipulation's clips the negatives;
// a higher score must mean "more in sync" (lse_d is negated for that). For every group: the ROC
// curve, its area (ties count half), the equal error rate, and the accuracy at one threshold
// shared by all groups (given, or else the equal-error threshold of real against every fake).
// Shifted clips are grouped both together ("shift") and by their shift ("shift+5"). Rows whose
// status is not "ok", or whose score is empty, have no score: they are counted, not ranked.
//
// Offset accuracy, per true shift (originals are shift 0): the fraction of clips whose
// estimated offset equals the shift, and within 1 frame of it; unscored clips count as misses.
#pragma once

#include <string>
#include <vector>

#include "sync/csv.hpp"

namespace dubkit {

struct RocCurve {
  std::vector<double> fpr, tpr, thresholds;  // from the strictest threshold (0, 0) to (1, 1)
  double auc = 0;
  double eer = 0;            // where the false-accept and false-reject rates meet
  double eer_threshold = 0;  // score at that point
};

// "shift+5", "shift-3": the group of one shift, and the variant name in make-set's file names.
std::string shift_name(int shift);

// positives: real (higher scores expected), negatives: fake. InvalidArgument when either is empty.
RocCurve roc_curve(const std::vector<double>& positives, const std::vector<double>& negatives);

struct DetectionGroup {
  std::string name;  // "all", "shift", "shift+5", "swap", "dub", ...
  bool per_shift = false;  // one shift's group ("shift+5")
  long real = 0, fake = 0;
  long unscored_fake = 0;
  RocCurve roc;
  double accuracy = 0;       // (real accepted + fake rejected) / (real + fake) at the threshold
  double real_accepted = 0;  // true-positive rate at the threshold
  double fake_rejected = 0;  // true-negative rate at the threshold
  double mean_fake = 0;      // mean score of the group's fakes, in the column's own units
};

struct OffsetAccuracy {
  int shift = 0;  // true audio delay, frames
  long clips = 0, scored = 0;
  double exact = 0, within_1 = 0;  // fractions of `clips`
};

struct DetectionEvalOptions {
  std::string score = "confidence_at_zero";  // a results column: confidence_at_zero, lse_c, lse_d, confidence
  bool has_threshold = false;
  double threshold = 0;
};

struct DetectionEval {
  std::string score;
  double threshold = 0;
  bool threshold_given = false;
  long real = 0, unscored_real = 0;
  double mean_real = 0;  // mean score of the scored real clips, in the column's own units
  long unlabelled = 0;  // result rows without a label (ignored)
  long missing = 0;     // labelled files without a result row (unscored)
  std::vector<DetectionGroup> groups;
  std::vector<OffsetAccuracy> offsets;
};

// FormatError naming the file and line for missing columns, unknown labels or unparsable
// numbers; InvalidArgument when there are no scored real clips or no fakes.
DetectionEval evaluate_detection(const CsvTable& labels, const std::string& labels_source, const CsvTable& results,
                                 const std::string& results_source, const DetectionEvalOptions& opts = {});

// ROC curves of the named groups on one chart, PNG; by default every group but the per-shift
// ones (which the tables list). IoError when unwritable.
void write_roc_png(const DetectionEval& e, const std::string& path, const std::vector<std::string>& groups = {});

// The two tables (detection per group, offset accuracy per shift) as Markdown.
std::string detection_markdown(const DetectionEval& e);

}  // namespace dubkit
