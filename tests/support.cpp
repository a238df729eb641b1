#include "support.hpp"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <unistd.h>

namespace dubkit::test {

std::string temp_dir(const std::string& tag) {
  static std::atomic<int> counter{0};
  const auto dir = std::filesystem::temp_directory_path() /
                   ("dubkit-test-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

double normalized_max_error(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  double err = 0, scale = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!std::isfinite(a[i]) || !std::isfinite(b[i])) return INFINITY;
    err = std::max(err, std::fabs(double(a[i]) - b[i]));
    scale = std::max(scale, std::fabs(double(b[i])));
  }
  return scale > 0 ? err / scale : err;
}

FeatureMatrix matrix_from(const std::vector<float>& values, int rows, int cols, bool transpose) {
  FeatureMatrix m(rows, cols);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c)
      m.at(r, c) = transpose ? values[static_cast<std::size_t>(c) * rows + r]
                             : values[static_cast<std::size_t>(r) * cols + c];
  return m;
}

std::vector<float> row(const FeatureMatrix& m, int r) {
  return std::vector<float>(m.data.begin() + static_cast<std::ptrdiff_t>(r) * m.cols,
                            m.data.begin() + static_cast<std::ptrdiff_t>(r + 1) * m.cols);
}

FeatureMatrix columns(const FeatureMatrix& m, int first, int last) {
  FeatureMatrix out(m.rows, last - first);
  for (int r = 0; r < m.rows; ++r)
    for (int c = first; c < last; ++c) out.at(r, c - first) = m.at(r, c);
  return out;
}

Waveform test_tone(int rate, double seconds, double f0) {
  Waveform w;
  w.rate = rate;
  w.samples.resize(static_cast<std::size_t>(seconds * rate));
  for (std::size_t i = 0; i < w.samples.size(); ++i) {
    const double t = double(i) / rate;
    const double env = 0.5 + 0.5 * std::sin(2 * M_PI * 3.0 * t);
    double s = 0;
    for (int h = 1; h <= 8; ++h) s += std::sin(2 * M_PI * f0 * h * t * (1 + 0.02 * std::sin(2 * M_PI * t))) / h;
    w.samples[i] = static_cast<float>(0.3 * env * s);
  }
  return w;
}

}  // namespace dubkit::test
