// Helpers shared by the tests: fixture paths, comparisons, generated signals.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "audio/features.hpp"
#include "audio/waveform.hpp"
#include "core/safetensors.hpp"

namespace dubkit::test {

// tests/fixtures/reference, set by the build (DUBKIT_FIXTURES_DIR).
inline std::string fixture(const std::string& name) { return std::string(DUBKIT_FIXTURES_DIR) + "/" + name; }

// tests/fixtures, the small fixtures committed with the tests (see its README.md), set by the build
// (DUBKIT_TEST_DATA_DIR).
inline std::string test_data(const std::string& name) { return std::string(DUBKIT_TEST_DATA_DIR) + "/" + name; }

// A fresh empty directory under the system temp dir. It is left there for inspection after a
// failure; CI machines start clean.
std::string temp_dir(const std::string& tag);

// The whole file as bytes (empty when missing).
std::string slurp(const std::string& path);

// max |a - b| / max |b|: the error relative to the reference's scale. Elementwise relative
// error is meaningless for values near zero (cepstra, silent bins), so every golden test uses
// this measure. Infinite when the sizes differ or any value is not finite.
double normalized_max_error(const std::vector<float>& a, const std::vector<float>& b);

// A [rows, cols] matrix holding `values` in the given layout (transpose = values are [cols, rows]).
FeatureMatrix matrix_from(const std::vector<float>& values, int rows, int cols, bool transpose = false);

// max(acc, x), but NaN wins: a NaN anywhere must fail the comparison that uses it.
inline double max_or_nan(double acc, double x) { return (x > acc || std::isnan(x)) ? x : acc; }

// Row r of m.
std::vector<float> row(const FeatureMatrix& m, int r);

// Columns [first, last) of m.
FeatureMatrix columns(const FeatureMatrix& m, int first, int last);

// Sum of sines with a slow amplitude envelope: speech-like enough for the DSP tests.
Waveform test_tone(int rate, double seconds, double f0 = 220.0);

}  // namespace dubkit::test
