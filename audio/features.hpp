// Row-major feature matrices: the plain container the DSP code returns, with no LibTorch
// dependency. Convention: rows are features (frequency bins, mel bands, cepstra), columns are
// frames: the [n_mels, T] layout every public mel convention uses.
#pragma once

#include <cstddef>
#include <vector>

namespace dubkit {

struct FeatureMatrix {
  int rows = 0;
  int cols = 0;
  std::vector<float> data;  // rows * cols, data[r * cols + c]

  FeatureMatrix() = default;
  FeatureMatrix(int r, int c) : rows(r), cols(c), data(static_cast<std::size_t>(r) * c, 0.0f) {}
  float& at(int r, int c) { return data[static_cast<std::size_t>(r) * cols + c]; }
  float at(int r, int c) const { return data[static_cast<std::size_t>(r) * cols + c]; }
};

}  // namespace dubkit
