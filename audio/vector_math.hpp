// Kernels of the feature hot path, compiled with -ffast-math (see audio/CMakeLists.txt): it
// lets the compiler call glibc's vector logf and reassociate sums into SIMD lanes, several
// times faster than one scalar call or one dependent add per value. Contract: inputs are finite (spectra of finite audio); NaN or Inf
// in, unspecified out. Accuracy: a few ulp, inside the golden tests' bounds.
#pragma once

#include <cstddef>

namespace dubkit {

// v[i] = a * ln(max(v[i], floor)) + b
void scaled_log_inplace(float* v, std::size_t n, float floor, float a, float b);
// sum of a[i] * b[i], in any order
float dot(const float* a, const float* b, std::size_t n);
// sum of a[i], in any order
float sum(const float* a, std::size_t n);

}  // namespace dubkit
