#include <catch2/catch.hpp>

#include <cstring>
#include <fstream>

#include "core/error.hpp"
#include "core/safetensors.hpp"
#include "support.hpp"

using namespace dubkit;

namespace {

// A safetensors file from a header (as JSON text) and a data region.
std::string make_file(const std::string& header, const std::string& data, std::uint64_t claimed_len = 0) {
  const std::uint64_t len = claimed_len ? claimed_len : header.size();
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((len >> (8 * i)) & 0xff);
  return out + header + data;
}

void expect_format_error(const std::string& bytes, const std::string& needle) {
  try {
    SafetensorsFile f(bytes.data(), bytes.size(), "bad.safetensors");
    FAIL("no error for input expected to mention '" << needle << "'");
  } catch (const FormatError& e) {
    INFO(e.what());
    CHECK(std::string(e.what()).find("bad.safetensors") != std::string::npos);
    CHECK(std::string(e.what()).find(needle) != std::string::npos);
  }
}

const std::string k24(24, '\0');  // data for a [2,3] F32 tensor

}  // namespace

TEST_CASE("safetensors round trip keeps names, order, dtypes, shapes, bytes and metadata", "[core]") {
  TensorDict d;
  d.add("b.weight", HostTensor::from_float({2, 3}, {1, 2, 3, 4, 5, 6}));
  HostTensor h;
  h.dtype = DType::F16;
  h.shape = {2};
  h.data = {std::byte{0x00}, std::byte{0x3c}, std::byte{0x00}, std::byte{0xc0}};  // 1.0, -2.0
  d.add("a.half", h);
  HostTensor steps;
  steps.dtype = DType::I64;
  steps.shape = {};
  steps.data.assign(8, std::byte{0});
  steps.data[0] = std::byte{7};
  d.add("steps", steps);

  const std::string path = test::temp_dir("st") + "/round.safetensors";
  write_safetensors(path, d, {{"preset", "wav2lip-16k"}});
  SafetensorsFile f(path);
  REQUIRE(f.tensors().size() == 3);
  CHECK(f.tensors()[0].name == "b.weight");  // file order is write order
  CHECK(f.tensors()[1].name == "a.half");
  CHECK(f.metadata().at("preset") == "wav2lip-16k");
  CHECK(f.at("b.weight").to_float() == std::vector<float>{1, 2, 3, 4, 5, 6});
  CHECK(f.at("a.half").to_float() == std::vector<float>{1.0f, -2.0f});
  CHECK(f.at("steps").to_float() == std::vector<float>{7.0f});
  CHECK(f.at("steps").shape.empty());
  const TensorDict back = f.to_dict();
  for (const auto& [name, t] : d.items()) CHECK(back.at(name).data == t.data);
  CHECK_THROWS_AS(f.at("missing"), InvalidArgument);
}

TEST_CASE("BF16 widens exactly", "[core]") {
  HostTensor t;
  t.dtype = DType::BF16;
  t.shape = {2};
  t.data = {std::byte{0x80}, std::byte{0x3f}, std::byte{0x40}, std::byte{0xc0}};  // 1.0, -3.0
  CHECK(t.to_float() == std::vector<float>{1.0f, -3.0f});
}

TEST_CASE("reference fixtures parse with the documented shapes", "[core]") {
  SafetensorsFile f(test::fixture("wav2lip_audio.safetensors"));
  CHECK(f.at("wav16").shape == std::vector<std::int64_t>{67520});
  CHECK(f.at("mel").shape == std::vector<std::int64_t>{80, 338});
  SafetensorsFile lib(test::fixture("librosa_features.safetensors"));
  CHECK(lib.metadata().at("librosa") == "0.9.2");
}

TEST_CASE("malformed and hostile safetensors are clear FormatErrors", "[core][bad-input]") {
  const std::string good = R"({"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}})";
  SECTION("the well-formed control parses") {
    const std::string bytes = make_file(good, k24);
    CHECK_NOTHROW(SafetensorsFile(bytes.data(), bytes.size(), "ok"));
  }
  SECTION("empty") { expect_format_error("", "8-byte header length"); }
  SECTION("truncated inside the length") { expect_format_error(std::string(5, '\x10'), "8-byte header length"); }
  SECTION("enormous header length") { expect_format_error(make_file(good, k24, std::uint64_t{1} << 62), "100 MB"); }
  SECTION("header past the end") { expect_format_error(make_file(good, k24, 4096), "past the end"); }
  SECTION("truncated data") { expect_format_error(make_file(good, k24.substr(0, 20)), "outside the data region"); }
  SECTION("not JSON") { expect_format_error(make_file("{not json", ""), "not valid JSON"); }
  SECTION("not an object") { expect_format_error(make_file("[1,2]", ""), "not a JSON object"); }
  SECTION("deep nesting") {
    expect_format_error(make_file(std::string(100000, '[') + std::string(100000, ']'), ""), "nested too deeply");
  }
  SECTION("unknown dtype") {
    expect_format_error(make_file(R"({"w":{"dtype":"F8","shape":[2],"data_offsets":[0,2]}})", "ab"), "unsupported dtype 'F8'");
  }
  SECTION("size disagrees with shape") {
    expect_format_error(make_file(R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,24]}})", k24), "expected 16");
  }
  SECTION("overlapping tensors") {
    expect_format_error(make_file(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                                  R"("b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}})", k24),
                        "overlap");
  }
  SECTION("offsets reversed") {
    expect_format_error(make_file(R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}})", k24), "outside the data region");
  }
  SECTION("negative or fractional dims") {
    expect_format_error(make_file(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", k24), "non-negative integer");
    expect_format_error(make_file(R"({"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})", k24), "non-negative integer");
  }
  SECTION("element count overflow is caught before any allocation") {
    expect_format_error(make_file(R"({"w":{"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,4]}})", k24),
                        "too many elements");
  }
  SECTION("missing fields") { expect_format_error(make_file(R"({"w":{"dtype":"F32"}})", ""), "lacks dtype"); }
  SECTION("bad metadata") { expect_format_error(make_file(R"({"__metadata__":{"a":1}})", ""), "not a string"); }
}

TEST_CASE("a missing safetensors file is an IoError naming it", "[core][bad-input]") {
  try {
    SafetensorsFile f("/nonexistent/x.safetensors");
    FAIL("opened a missing file");
  } catch (const IoError& e) {
    CHECK(std::string(e.what()).find("/nonexistent/x.safetensors") != std::string::npos);
  }
}
