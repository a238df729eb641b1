#include "core/checkpoint.hpp"

#include <stdlib.h>  // mkdtemp
#include <zip.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"

using dubkit::CheckpointOptions;
using dubkit::DType;
using dubkit::FormatError;
using dubkit::HostTensor;
using dubkit::IoError;
using dubkit::TensorDict;

namespace {

const std::string kFixtures = DUBKIT_FIXTURES_DIR;

struct Fixture {
  const char* checkpoint;
  const char* keys;
  const char* prefix;  // the zip's top folder
};
const Fixture kAllFixtures[] = {
    {"hifigan_v2_generator.pt", "hifigan_v2_keys.txt", "hifigan_v2_generator"},
    {"hifigan_v3_generator.pt", "hifigan_v3_keys.txt", "hifigan_v3_generator"},
    {"rtvc_encoder.pt", "rtvc_encoder_keys.txt", "rtvc_encoder"},
};

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  REQUIRE(f);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// `name<TAB>[d0, d1, ...]` per line, in state-dict order.
std::vector<std::pair<std::string, std::vector<std::int64_t>>> read_keys(const std::string& path) {
  std::vector<std::pair<std::string, std::vector<std::int64_t>>> keys;
  std::istringstream in(read_file(path));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const std::size_t tab = line.find('\t');
    REQUIRE(tab != std::string::npos);
    std::string dims = line.substr(tab + 1);
    REQUIRE(dims.size() >= 2);
    std::vector<std::int64_t> shape;
    std::istringstream ds(dims.substr(1, dims.size() - 2));
    std::string d;
    while (std::getline(ds, d, ',')) shape.push_back(std::stoll(d));
    keys.emplace_back(line.substr(0, tab), shape);
  }
  return keys;
}

// A scratch directory under /tmp, removed when the test binary exits.
const std::filesystem::path& scratch_dir() {
  static const struct Dir {
    std::filesystem::path path;
    Dir() {
      char pattern[] = "/tmp/dubkit_test_checkpoint_XXXXXX";
      const char* made = mkdtemp(pattern);
      if (!made) throw std::runtime_error("mkdtemp failed");
      path = made;
    }
    ~Dir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  } dir;
  return dir.path;
}

struct ZipDiscard {
  void operator()(zip_t* z) const { zip_discard(z); }
};
using ZipPtr = std::unique_ptr<zip_t, ZipDiscard>;

using Entries = std::vector<std::pair<std::string, std::string>>;

// Writes `entries` uncompressed, as torch.save does, into a zip file; returns its path.
std::string write_zip(const std::string& filename, const Entries& entries) {
  const std::string path = (scratch_dir() / filename).string();
  int code = 0;
  ZipPtr za(zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &code));
  REQUIRE(za);
  for (const auto& [name, data] : entries) {
    zip_source_t* src = zip_source_buffer(za.get(), data.data(), data.size(), 0);
    REQUIRE(src);
    const zip_int64_t index = zip_file_add(za.get(), name.c_str(), src, ZIP_FL_OVERWRITE);
    if (index < 0) zip_source_free(src);
    REQUIRE(index >= 0);
    REQUIRE(zip_set_file_compression(za.get(), static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0) ==
            0);
  }
  REQUIRE(zip_close(za.get()) == 0);
  za.release();  // zip_close freed it
  return path;
}

// Reads one entry of a zip with libzip, independently of the reader under test.
std::string zip_entry(const std::string& zip_path, const std::string& name) {
  int code = 0;
  ZipPtr za(zip_open(zip_path.c_str(), ZIP_RDONLY, &code));
  REQUIRE(za);
  zip_stat_t st;
  REQUIRE(zip_stat(za.get(), name.c_str(), 0, &st) == 0);
  zip_file_t* f = zip_fopen(za.get(), name.c_str(), 0);
  REQUIRE(f);
  std::string data(st.size, '\0');
  const zip_int64_t n = zip_fread(f, data.data(), data.size());
  zip_fclose(f);
  REQUIRE(n == static_cast<zip_int64_t>(st.size));
  return data;
}

std::string bytes_of(const HostTensor& t) {
  return std::string(reinterpret_cast<const char*>(t.data.data()), t.data.size());
}

std::vector<std::string> names_of(const TensorDict& d) {
  std::vector<std::string> names;
  for (const auto& item : d.items()) names.push_back(item.first);
  return names;
}

// Builds protocol-2 pickles opcode by opcode.
class Pickle {
 public:
  Pickle() : s_("\x80\x02") {}
  Pickle& raw(const std::string& bytes) {
    s_ += bytes;
    return *this;
  }
  Pickle& str(const std::string& v) {
    s_ += 'X';
    le32(static_cast<std::uint32_t>(v.size()));
    s_ += v;
    return *this;
  }
  Pickle& num(std::int32_t v) {
    s_ += 'J';
    le32(static_cast<std::uint32_t>(v));
    return *this;
  }
  Pickle& global(const std::string& module, const std::string& name) {
    s_ += "c" + module + "\n" + name + "\n";
    return *this;
  }
  Pickle& ints(const std::vector<std::int32_t>& v) {
    s_ += '(';
    for (std::int32_t x : v) num(x);
    s_ += 't';
    return *this;
  }
  // _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())
  Pickle& tensor(const std::string& storage_type, const std::string& key, std::int32_t numel,
                 std::int32_t offset, const std::vector<std::int32_t>& size,
                 const std::vector<std::int32_t>& stride) {
    global("torch._utils", "_rebuild_tensor_v2").raw("((").str("storage");
    global("torch", storage_type).str(key).str("cpu").num(numel).raw("tQ").num(offset);
    ints(size).ints(stride).raw("\x89").global("collections", "OrderedDict").raw(")Rt");
    return raw("R");
  }
  std::string done() const { return s_ + "."; }
  const std::string& unfinished() const { return s_; }

 private:
  void le32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) s_ += static_cast<char>((v >> (8 * i)) & 0xff);
  }
  std::string s_;
};

template <class T>
std::string raw_bytes(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

std::vector<float> iota_floats(int n) {
  std::vector<float> v(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = static_cast<float>(i);
  return v;
}

// A checkpoint with only `pickle` and twelve floats 0..11 as storage "0".
std::string small_checkpoint(const std::string& filename, const std::string& pickle,
                             const std::string& storage0 = raw_bytes(iota_floats(12))) {
  return write_zip(filename, {{"archive/data.pkl", pickle}, {"archive/data/0", storage0}});
}

// A one-tensor state dict {'w': view of storage "0"}.
std::string one_tensor_pickle(std::int32_t numel, std::int32_t offset,
                              const std::vector<std::int32_t>& size,
                              const std::vector<std::int32_t>& stride,
                              const std::string& type = "FloatStorage") {
  return Pickle().raw("}").str("w").tensor(type, "0", numel, offset, size, stride).raw("s").done();
}

template <class E>
std::string error_of(const std::string& path) {
  try {
    dubkit::load_torch_checkpoint(path);
  } catch (const E& e) {
    return e.what();
  }
  FAIL("no exception for " << path);
  return {};
}

}  // namespace

TEST_CASE("checkpoint: fixtures load with the names, shapes and order of their keys files",
          "[checkpoint]") {
  for (const Fixture& f : kAllFixtures) {
    INFO(f.checkpoint);
    const TensorDict d = dubkit::load_torch_checkpoint(kFixtures + "/" + f.checkpoint);
    const auto keys = read_keys(kFixtures + "/" + f.keys);
    REQUIRE(d.size() == keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) {
      INFO(keys[i].first);
      CHECK(d.items()[i].first == keys[i].first);
      CHECK(d.items()[i].second.shape == keys[i].second);
      CHECK(d.items()[i].second.dtype == DType::F32);
    }
  }
}

TEST_CASE("checkpoint: fixture values equal the raw bytes of their storage entries",
          "[checkpoint]") {
  // Each fixture stores its k-th state-dict tensor, contiguous, as the whole of data/<k>.
  for (const Fixture& f : kAllFixtures) {
    INFO(f.checkpoint);
    const std::string path = kFixtures + "/" + f.checkpoint;
    const TensorDict d = dubkit::load_torch_checkpoint(path);
    for (std::size_t k = 0; k < d.size(); ++k) {
      INFO(d.items()[k].first);
      const std::string expected =
          zip_entry(path, std::string(f.prefix) + "/data/" + std::to_string(k));
      REQUIRE(bytes_of(d.items()[k].second) == expected);
    }
  }
}

TEST_CASE("checkpoint: loading from memory equals loading from the file", "[checkpoint]") {
  const std::string path = kFixtures + "/rtvc_encoder.pt";
  const std::string bytes = read_file(path);
  const TensorDict a = dubkit::load_torch_checkpoint(path);
  const TensorDict b =
      dubkit::load_torch_checkpoint_from_memory(bytes.data(), bytes.size(), "rtvc");
  REQUIRE(names_of(a) == names_of(b));
  for (std::size_t i = 0; i < a.size(); ++i)
    CHECK(bytes_of(a.items()[i].second) == bytes_of(b.items()[i].second));
}

TEST_CASE("checkpoint: weight norm folds to g * v / ||v||", "[checkpoint]") {
  const std::string path = kFixtures + "/hifigan_v2_generator.pt";
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
  CHECK(bytes_of(w) != bytes_of(raw.at("conv_pre.weight_v")));
}

TEST_CASE("checkpoint: fold_weight_norm rejects incomplete or mismatched pairs", "[checkpoint]") {
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

TEST_CASE("checkpoint: views, shared storages, nesting, dtypes and skipped entries",
          "[checkpoint]") {
  const std::vector<std::int64_t> longs{42};
  const std::vector<std::uint16_t> halves{0x3c00, 0xc000};  // 1.0, -2.0
  Pickle p;
  p.raw("}(").str("epoch").num(3).str("lr").raw("G?PbM\xd2\xf1\xa9\xfc");  // 0.001
  p.str("state_dict").global("collections", "OrderedDict").raw(")R(");
  p.str("a").tensor("FloatStorage", "0", 12, 0, {3, 4}, {4, 1});
  p.str("module.b").tensor("FloatStorage", "0", 12, 1, {2, 3}, {1, 4});  // a strided view
  p.str("hparams").raw("}").str("k").num(1).raw("s");
  p.str("c").tensor("FloatStorage", "0", 12, 11, {}, {});
  p.str("bn.num_batches_tracked").tensor("LongStorage", "1", 1, 0, {}, {});
  p.str("h").global("torch._utils", "_rebuild_parameter").raw("(");
  p.tensor("HalfStorage", "2", 2, 0, {2}, {1}).raw("\x88").global("collections", "OrderedDict");
  p.raw(")Rt").raw("R");
  p.raw("u").raw("u");
  const std::string path = write_zip(
      "views.pt", {{"archive/data.pkl", p.done()},
                   {"archive/data/0", raw_bytes(iota_floats(12))},
                   {"archive/data/1", raw_bytes(longs)},
                   {"archive/data/2", raw_bytes(halves)},
                   {"archive/byteorder", "little"},
                   {"archive/version", "3\n"}});
  const TensorDict d = dubkit::load_torch_checkpoint(path);
  REQUIRE(names_of(d) ==
          std::vector<std::string>{"a", "b", "c", "bn.num_batches_tracked", "h"});
  CHECK(d.at("a").to_float() == iota_floats(12));
  CHECK(d.at("b").shape == std::vector<std::int64_t>{2, 3});
  CHECK(d.at("b").to_float() == std::vector<float>{1, 5, 9, 2, 6, 10});
  CHECK(d.at("c").shape.empty());
  CHECK(d.at("c").to_float() == std::vector<float>{11});
  CHECK(d.at("bn.num_batches_tracked").dtype == DType::I64);
  CHECK(bytes_of(d.at("bn.num_batches_tracked")) == raw_bytes(longs));
  CHECK(d.at("h").dtype == DType::F16);
  CHECK(d.at("h").to_float() == std::vector<float>{1, -2});
}

TEST_CASE("checkpoint: unreadable and non-zip files", "[checkpoint]") {
  const std::string empty = (scratch_dir() / "empty.pt").string();
  std::ofstream(empty).close();
  CHECK_THAT(error_of<FormatError>(empty), Catch::Contains("empty"));
  REQUIRE_THROWS_AS(dubkit::load_torch_checkpoint_from_memory("", 0, "buf"), FormatError);

  CHECK_THAT(error_of<IoError>((scratch_dir() / "missing.pt").string()),
             Catch::Contains("missing.pt"));

  const std::string text = (scratch_dir() / "text.pt").string();
  std::ofstream(text) << "this is not a zip archive at all";
  CHECK_THAT(error_of<FormatError>(text), Catch::Contains("not a zip") && Catch::Contains(text));

  const std::string whole = read_file(kFixtures + "/hifigan_v2_generator.pt");
  const std::string half = (scratch_dir() / "half.pt").string();
  std::ofstream(half, std::ios::binary) << whole.substr(0, whole.size() / 2);
  CHECK_THAT(error_of<FormatError>(half), Catch::Contains("truncated"));
  REQUIRE_THROWS_AS(
      dubkit::load_torch_checkpoint_from_memory(whole.data(), whole.size() / 2, "half"),
      FormatError);
}

TEST_CASE("checkpoint: malformed archives", "[checkpoint]") {
  CHECK_THAT(error_of<FormatError>(write_zip("nopkl.pt", {{"archive/version", "3\n"}})),
             Catch::Contains("data.pkl"));

  const std::string one = one_tensor_pickle(12, 0, {12}, {1});
  CHECK_THAT(error_of<FormatError>(small_checkpoint("short.pt", one, raw_bytes(iota_floats(10)))),
             Catch::Contains("data/0") && Catch::Contains("40 bytes"));
  CHECK_THAT(error_of<FormatError>(
                 write_zip("nostorage.pt", {{"archive/data.pkl", one}})),
             Catch::Contains("no entry"));
  CHECK_NOTHROW(dubkit::load_torch_checkpoint(small_checkpoint("ok.pt", one)));
  CHECK_THAT(error_of<FormatError>(write_zip(
                 "be.pt", {{"archive/data.pkl", one},
                           {"archive/data/0", raw_bytes(iota_floats(12))},
                           {"archive/byteorder", "big"}})),
             Catch::Contains("byteorder"));
}

TEST_CASE("checkpoint: a header claiming a huge entry is refused without allocating it",
          "[checkpoint]") {
  std::string zip = read_file(small_checkpoint("huge.pt", one_tensor_pickle(12, 0, {12}, {1})));
  // data.pkl is the first entry: its uncompressed size is at +22 in the local header and at
  // +24 in the central directory; patch both so that libzip sees a consistent claim.
  const std::size_t local = zip.find("PK\x03\x04");
  const std::size_t central = zip.find("PK\x01\x02");
  REQUIRE(local == 0);
  REQUIRE(central != std::string::npos);
  const std::uint32_t huge = 0xfffffff0u;  // ~4 GiB; 0xffffffff would mean "see zip64"
  std::memcpy(&zip[local + 22], &huge, 4);
  std::memcpy(&zip[central + 24], &huge, 4);
  try {
    dubkit::load_torch_checkpoint_from_memory(zip.data(), zip.size(), "huge.pt");
    FAIL("loaded a zip whose data.pkl claims 4 GiB");
  } catch (const FormatError& e) {
    CHECK_THAT(e.what(), Catch::Contains("huge.pt") && Catch::Contains("claims"));
  }
}

TEST_CASE("checkpoint: hostile or malformed pickles are refused", "[checkpoint]") {
  struct Case {
    const char* name;
    std::string pickle;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"forbidden global", Pickle().global("os", "system").str("ls").raw("\x85R").done(),
       "os.system"},
      {"stack underflow", Pickle().raw("R").done(), "stack underflow"},
      {"pop below a mark", Pickle().raw("})(s").done(), "stack underflow"},
      {"no mark", Pickle().raw("t").done(), "MARK"},
      {"no STOP", Pickle().raw("}").unfinished(), "STOP"},
      {"truncated string", Pickle().raw("X\xff\xff\xff\x7f" "abc").done(), "truncated"},
      {"memo miss", Pickle().raw("h\x05").done(), "memo index 5"},
      {"unsupported opcode", Pickle().raw("\x93").done(), "0x93 (STACK_GLOBAL)"},
      {"not a dict", Pickle().raw("]").done(), "not a dict"},
      {"nested non-dict", Pickle().raw("}").str("model").num(3).raw("s").done(), "'model'"},
      {"double storage", one_tensor_pickle(12, 0, {12}, {1}, "DoubleStorage"), "DoubleStorage"},
      {"view outside storage", one_tensor_pickle(12, 2, {11}, {1}), "outside"},
      {"negative stride", one_tensor_pickle(12, 11, {12}, {-1}), "outside"},
      {"huge numel", one_tensor_pickle(0x7fffffff, 0, {1}, {1}), "declares"},
      {"huge shape", one_tensor_pickle(12, 0, {0x7fffffff, 0x7fffffff, 0x7fffffff}, {0, 0, 0}),
       "too many elements"},
      {"no tensors", Pickle().raw("}").str("step").num(1).raw("s").done(), "no tensors"},
      {"reduce on a non-global", Pickle().raw("})R").done(), "REDUCE on a dict"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    const std::string path = small_checkpoint("bad.pt", c.pickle);
    REQUIRE_THROWS_AS(dubkit::load_torch_checkpoint(path), FormatError);
    const std::string msg = error_of<FormatError>(path);
    CHECK_THAT(msg, Catch::Contains(c.message) && Catch::Contains(path));
  }
}
