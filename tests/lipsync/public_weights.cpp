#include "lipsync/public_weights.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

#include "core/torch_bridge.hpp"

namespace dubkit::test {

std::vector<KeyEntry> read_keys(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in);
  std::vector<KeyEntry> keys;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto tab = line.find('\t');
    REQUIRE(tab != std::string::npos);
    KeyEntry k{line.substr(0, tab), {}};
    std::string dims = line.substr(tab + 1);
    for (char& ch : dims)
      if (ch == '[' || ch == ']' || ch == ',') ch = ' ';
    std::istringstream ds(dims);
    for (std::int64_t d; ds >> d;) k.shape.push_back(d);
    keys.push_back(std::move(k));
  }
  return keys;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

TensorDict pattern_weights(const std::vector<KeyEntry>& keys) {
  TensorDict dict;
  for (std::size_t k = 0; k < keys.size(); ++k) {
    const auto& [name, shape] = keys[k];
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    if (ends_with(name, "num_batches_tracked")) {
      HostTensor t{DType::I64, shape, std::vector<std::byte>(n * 8, std::byte{0})};
      dict.add(name, std::move(t));
      continue;
    }
    std::vector<float> v(n);
    for (std::int64_t i = 0; i < n; ++i) {
      const double base = std::sin(0.1 * static_cast<double>(i + 1) + 0.7 * static_cast<double>(k));
      double w;
      if (ends_with(name, "running_var")) w = 1 + 0.5 * base * base;
      else if (shape.size() >= 2) w = base / std::sqrt(static_cast<double>(n) / static_cast<double>(shape[0]));
      else if (ends_with(name, ".weight")) w = 1 + 0.3 * base;
      else w = 0.05 * base;
      v[i] = static_cast<float>(w);
    }
    dict.add(name, HostTensor::from_float(shape, v));
  }
  return dict;
}

void check_names(const torch::nn::Module& module, const std::vector<KeyEntry>& keys) {
  const TensorDict ours = module_weights(module);
  CHECK(ours.size() == keys.size());
  for (const auto& k : keys) {
    const HostTensor* t = ours.find(k.name);
    INFO(k.name);
    REQUIRE(t != nullptr);
    CHECK(t->shape == k.shape);
  }
}

}  // namespace dubkit::test
