// Speaker-verification metrics: equal error rate of same/different-speaker trials and the
// score threshold at that point.
#pragma once

#include <cstddef>
#include <vector>

namespace dubkit {

struct EerResult {
  double eer = 0;        // in [0, 1]: false-accept rate = false-reject rate
  double threshold = 0;  // scores >= threshold are judged "same"
  std::size_t same_trials = 0, different_trials = 0;
};

// Throws InvalidArgument when either list is empty. Scores are similarities (higher = more
// alike); the EER is interpolated between the two neighbouring thresholds.
EerResult equal_error_rate(std::vector<double> same, std::vector<double> different);

}  // namespace dubkit
