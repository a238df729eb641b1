// The public lip-sync models' tensor lists and their PATTERN weights (tests/fixtures/reference/
// README.md), shared by the generator's tests here and the sync experts' in tests/sync/.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.hpp"

namespace dubkit::test {

struct KeyEntry {
  std::string name;
  std::vector<std::int64_t> shape;
};

// A keys file: `name<TAB>[d0, d1, ...]` per line, state-dict order.
std::vector<KeyEntry> read_keys(const std::string& path);

bool ends_with(const std::string& s, const std::string& tail);

// The README's PATTERN weights, entry k of the keys file in order.
TensorDict pattern_weights(const std::vector<KeyEntry>& keys);

// Every tensor of `module` appears in `keys` with the same shape, and the counts agree.
void check_names(const torch::nn::Module& module, const std::vector<KeyEntry>& keys);

}  // namespace dubkit::test
