#include "core/weight_norm.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/checkpoint.hpp"
#include "core/error.hpp"
#include "support.hpp"

using dubkit::CheckpointOptions;
using dubkit::DType;
using dubkit::FormatError;
using dubkit::HostTensor;
using dubkit::TensorDict;

namespace {

std::vector<std::string> names_of(const TensorDict& d) {
  std::vector<std::string> names;
  for (const auto& item : d.items()) names.push_back(item.first);
  return names;
}

}  // namespace

TEST_CASE("weight norm: a checkpoint read with folding holds g * v / ||v||", "[weight_norm]") {
  const std::string path = dubkit::test::fixture("hifigan_v2_generator.pt");
  const TensorDict raw = dubkit::load_torch_checkpoint(path);
  CheckpointOptions opts;
  opts.fold_weight_norm = true;
  const TensorDict folded = dubkit::load_torch_checkpoint(path, opts);

  // Expected names: every _g renamed in place, every _v dropped.
  std::vector<std::string> expected;
  for (const std::string& n : names_of(raw)) {
    const bool g = n.size() > 2 && n.compare(n.size() - 2, 2, "_g") == 0;
    const bool v = n.size() > 2 && n.compare(n.size() - 2, 2, "_v") == 0;
    if (!v) expected.push_back(g ? n.substr(0, n.size() - 2) : n);
  }
  CHECK(names_of(folded) == expected);
  for (const std::string& n : names_of(folded)) {
    CHECK(n.find("_g") == std::string::npos);
    CHECK(n.find("_v") == std::string::npos);
  }

  const HostTensor& w = folded.at("conv_pre.weight");
  REQUIRE(w.shape == std::vector<std::int64_t>{128, 80, 7});
  REQUIRE(w.dtype == DType::F32);
  const std::vector<float> g = raw.at("conv_pre.weight_g").to_float();
  const std::vector<float> v = raw.at("conv_pre.weight_v").to_float();
  const std::vector<float> got = w.to_float();
  const std::size_t cols = 80 * 7;
  for (std::size_t o = 0; o < 128; ++o) {
    double norm = 0;
    for (std::size_t c = 0; c < cols; ++c) norm += double(v[o * cols + c]) * v[o * cols + c];
    norm = std::sqrt(norm);
    for (std::size_t c = 0; c < cols; ++c) {
      const double want = g[o] * double(v[o * cols + c]) / norm;
      REQUIRE(got[o * cols + c] == Approx(want).epsilon(1e-6).margin(1e-12));
    }
  }
  // Folding must not be a no-op: the stored v is not already unit-norm times g.
  CHECK(w.data != raw.at("conv_pre.weight_v").data);
}

TEST_CASE("weight norm: incomplete or mismatched pairs are refused", "[weight_norm]") {
  TensorDict lone;
  lone.add("a.weight_g", HostTensor::from_float({2, 1}, {1, 2}));
  REQUIRE_THROWS_WITH(dubkit::fold_weight_norm(lone), Catch::Contains("a.weight_v"));
  REQUIRE_THROWS_AS(dubkit::fold_weight_norm(lone), FormatError);

  TensorDict mismatched;
  mismatched.add("b", HostTensor::from_float({1}, {5}));
  mismatched.add("a.weight_g", HostTensor::from_float({3, 1}, {1, 2, 3}));
  mismatched.add("a.weight_v", HostTensor::from_float({2, 2}, {1, 2, 3, 4}));
  REQUIRE_THROWS_AS(dubkit::fold_weight_norm(mismatched), FormatError);
  CHECK(mismatched.size() == 3);  // left as it was
  CHECK(mismatched.at("b").to_float() == std::vector<float>{5});

  TensorDict ok;
  ok.add("a.weight_v", HostTensor::from_float({2, 2}, {3, 4, 0, 2}));
  ok.add("a.weight_g", HostTensor::from_float({2, 1}, {10, 3}));
  dubkit::fold_weight_norm(ok);
  REQUIRE(names_of(ok) == std::vector<std::string>{"a.weight"});
  CHECK(ok.at("a.weight").to_float() == std::vector<float>{6, 8, 0, 3});
}
