// Boundary error between two segmentations of one utterance: the figure forced aligners are
// compared by (mean absolute boundary error, share of boundaries within 20 ms).
//
// A boundary is the time between two consecutive phones (the end of the first). With the same
// phone sequence on both sides (the corpus's own phones, aligned by us), boundary i of one is
// compared with boundary i of the other. When the reference was transcribed with another phone
// set (festival labels against espeak-ng phones), the two sequences are first matched by an
// edit-distance alignment on the folded classes (phone_classes.hpp), and only a boundary
// between two reference phones matched to two consecutive hypothesis phones is scored; the
// rest are counted but not scored, so a report says how much of the reference it covers.
// Pure functions, no LibTorch; thread-safe.
#pragma once

#include <utility>
#include <vector>

#include "corpus/engines.hpp"

namespace dubkit {

struct BoundaryErrors {
  std::vector<double> errors_ms;  // |reference - hypothesis| of each scored boundary, milliseconds
  long reference_boundaries = 0;  // boundaries the reference has, scored or not
  void add(const BoundaryErrors& other);
};

struct BoundarySummary {
  long scored = 0;              // boundaries compared
  long reference = 0;           // boundaries in the reference
  double mean_abs_ms = 0;       // mean absolute error, ms (0 when none scored)
  double median_abs_ms = 0;
  double within_tolerance = 0;  // share of scored boundaries with error <= tolerance_ms, [0, 1]
  double tolerance_ms = 20;
};
BoundarySummary summarize(const BoundaryErrors& errors, double tolerance_ms = 20.0);

// Same phone sequence on both sides (sizes must match; the phone names are not compared, so a
// caller may relabel). Throws InvalidArgument when the sizes differ.
BoundaryErrors boundary_errors(const std::vector<PhoneSpan>& reference, const std::vector<PhoneSpan>& hypothesis);

// The edit-distance matching of two class sequences: (reference index, hypothesis index) of
// each matched pair, increasing in both. Costs: insertion and deletion 1, substitution 0 for
// the same class, 1 within one kind (vowel, consonant, pause), and never across kinds (such
// phones are an insertion plus a deletion). Ties prefer a match, then a deletion.
std::vector<std::pair<int, int>> match_phone_sequences(const std::vector<int>& reference_classes,
                                                       const std::vector<int>& hypothesis_classes);

// Reference and hypothesis in different phone sets (any IPA; folded with phone_class). Spans
// of zero or negative length (a skipped pause) are dropped from both sides first.
BoundaryErrors matched_boundary_errors(const std::vector<PhoneSpan>& reference, const std::vector<PhoneSpan>& hypothesis);

}  // namespace dubkit
