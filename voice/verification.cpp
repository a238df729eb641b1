#include "voice/verification.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace dubkit {

EerResult equal_error_rate(std::vector<double> same, std::vector<double> different) {
  if (same.empty() || different.empty()) throw InvalidArgument("equal error rate: needs same- and different-speaker trials");
  std::sort(same.begin(), same.end());
  std::sort(different.begin(), different.end());
  EerResult r;
  r.same_trials = same.size();
  r.different_trials = different.size();
  // Candidate thresholds: every score. At threshold t, false rejects are same < t and false
  // accepts are different >= t; walk up the merged scores until FRR >= FAR.
  std::vector<double> all(same);
  all.insert(all.end(), different.begin(), different.end());
  std::sort(all.begin(), all.end());
  double prev_frr = 0, prev_far = 1, prev_t = all.front();
  for (double t : all) {
    const double frr = double(std::lower_bound(same.begin(), same.end(), t) - same.begin()) / same.size();
    const double far = double(different.end() - std::lower_bound(different.begin(), different.end(), t)) / different.size();
    if (frr >= far) {
      // Interpolate the crossing between the previous threshold and this one.
      const double d_prev = prev_far - prev_frr, d_cur = frr - far;
      const double a = d_prev + d_cur > 0 ? d_prev / (d_prev + d_cur) : 0.0;
      r.eer = 0.5 * ((prev_frr + a * (frr - prev_frr)) + (prev_far + a * (far - prev_far)));
      r.threshold = prev_t + a * (t - prev_t);
      return r;
    }
    prev_frr = frr;
    prev_far = far;
    prev_t = t;
  }
  r.eer = 0.5 * (prev_frr + prev_far);
  r.threshold = prev_t;
  return r;
}

}  // namespace dubkit
