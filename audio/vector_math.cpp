#include "audio/vector_math.hpp"

#include <algorithm>
#include <cmath>

namespace dubkit {

void scaled_log_inplace(float* v, std::size_t n, float floor, float a, float b) {
  for (std::size_t i = 0; i < n; ++i) v[i] = a * std::log(std::max(v[i], floor)) + b;
}

float dot(const float* a, const float* b, std::size_t n) {
  float acc = 0.0f;
  for (std::size_t i = 0; i < n; ++i) acc += a[i] * b[i];
  return acc;
}

float sum(const float* a, std::size_t n) {
  float acc = 0.0f;
  for (std::size_t i = 0; i < n; ++i) acc += a[i];
  return acc;
}

}  // namespace dubkit
