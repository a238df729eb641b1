#include "align/boundary_eval.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "align/phone_classes.hpp"
#include "core/error.hpp"

namespace dubkit {

void BoundaryErrors::add(const BoundaryErrors& other) {
  errors_ms.insert(errors_ms.end(), other.errors_ms.begin(), other.errors_ms.end());
  reference_boundaries += other.reference_boundaries;
}

BoundarySummary summarize(const BoundaryErrors& e, double tolerance_ms) {
  BoundarySummary s;
  s.scored = static_cast<long>(e.errors_ms.size());
  s.reference = e.reference_boundaries;
  s.tolerance_ms = tolerance_ms;
  if (e.errors_ms.empty()) return s;
  double sum = 0;
  long within = 0;
  for (double v : e.errors_ms) {
    sum += v;
    within += v <= tolerance_ms;
  }
  s.mean_abs_ms = sum / static_cast<double>(s.scored);
  s.within_tolerance = static_cast<double>(within) / static_cast<double>(s.scored);
  std::vector<double> sorted = e.errors_ms;
  std::sort(sorted.begin(), sorted.end());
  const std::size_t n = sorted.size();
  s.median_abs_ms = n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
  return s;
}

BoundaryErrors boundary_errors(const std::vector<PhoneSpan>& ref, const std::vector<PhoneSpan>& hyp) {
  if (ref.size() != hyp.size())
    throw InvalidArgument("boundary errors: the reference has " + std::to_string(ref.size()) + " phones, the alignment " +
                          std::to_string(hyp.size()));
  BoundaryErrors e;
  for (std::size_t i = 0; i + 1 < ref.size(); ++i) e.errors_ms.push_back(1000.0 * std::abs(ref[i].end - hyp[i].end));
  e.reference_boundaries = static_cast<long>(e.errors_ms.size());
  return e;
}

std::vector<std::pair<int, int>> match_phone_sequences(const std::vector<int>& a, const std::vector<int>& b) {
  const std::size_t n = a.size(), m = b.size();
  constexpr int kNever = 1 << 20;
  auto sub = [&](std::size_t i, std::size_t j) {
    if (a[i] == b[j]) return 0;
    return phone_class_kind(a[i]) == phone_class_kind(b[j]) ? 1 : kNever;
  };
  // cost[i][j]: the cheapest edit of a[0, i) into b[0, j).
  std::vector<int> cost((n + 1) * (m + 1));
  auto at = [&](std::size_t i, std::size_t j) -> int& { return cost[i * (m + 1) + j]; };
  for (std::size_t i = 0; i <= n; ++i) at(i, 0) = static_cast<int>(i);
  for (std::size_t j = 0; j <= m; ++j) at(0, j) = static_cast<int>(j);
  for (std::size_t i = 1; i <= n; ++i)
    for (std::size_t j = 1; j <= m; ++j)
      at(i, j) = std::min({at(i - 1, j - 1) + sub(i - 1, j - 1), at(i - 1, j) + 1, at(i, j - 1) + 1});
  std::vector<std::pair<int, int>> pairs;
  std::size_t i = n, j = m;
  while (i > 0 && j > 0) {
    const int s = sub(i - 1, j - 1);
    if (s < kNever && at(i, j) == at(i - 1, j - 1) + s) {
      pairs.emplace_back(static_cast<int>(i - 1), static_cast<int>(j - 1));
      --i, --j;
    } else if (at(i, j) == at(i - 1, j) + 1) {
      --i;
    } else {
      --j;
    }
  }
  std::reverse(pairs.begin(), pairs.end());
  return pairs;
}

BoundaryErrors matched_boundary_errors(const std::vector<PhoneSpan>& reference, const std::vector<PhoneSpan>& hypothesis) {
  auto keep = [](const std::vector<PhoneSpan>& spans) {
    std::vector<PhoneSpan> out;
    for (const PhoneSpan& p : spans)
      if (p.end > p.start) out.push_back(p);
    return out;
  };
  auto classes = [](const std::vector<PhoneSpan>& spans) {
    std::vector<int> out;
    for (const PhoneSpan& p : spans) out.push_back(phone_class(p.phone));
    return out;
  };
  const std::vector<PhoneSpan> ref = keep(reference), hyp = keep(hypothesis);
  const auto pairs = match_phone_sequences(classes(ref), classes(hyp));
  BoundaryErrors e;
  e.reference_boundaries = ref.empty() ? 0 : static_cast<long>(ref.size()) - 1;
  for (std::size_t k = 0; k + 1 < pairs.size(); ++k) {
    const auto [r0, h0] = pairs[k];
    const auto [r1, h1] = pairs[k + 1];
    if (r1 != r0 + 1 || h1 != h0 + 1) continue;  // an unmatched phone sits between them on one side
    e.errors_ms.push_back(1000.0 * std::abs(ref[static_cast<std::size_t>(r0)].end - hyp[static_cast<std::size_t>(h0)].end));
  }
  return e;
}

}  // namespace dubkit
