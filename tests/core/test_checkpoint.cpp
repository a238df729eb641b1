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
#include "core/weight_file.hpp"

using dubkit::DType;
using dubkit::FormatError;
using dubkit::HostTensor;
using dubkit::IoError;
using dubkit::TensorDict;

namespace {

const std::string kFixtures = DUBKIT_FIXTURES_DIR;
const std::string kTestData = DUBKIT_TEST_DATA_DIR;  // tests/fixtures

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

// Writes `entries` uncompressed, as torch.save does (or deflated), into a zip file; returns its
// path.
std::string write_zip(const std::string& filename, const Entries& entries, zip_int32_t method = ZIP_CM_STORE) {
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
    REQUIRE(zip_set_file_compression(za.get(), static_cast<zip_uint64_t>(index), method, 0) == 0);
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
  // _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict()); `pid_tail` is
  // appended to the persistent id (a legacy file's view_metadata: "N").
  Pickle& tensor(const std::string& storage_type, const std::string& key, std::int32_t numel,
                 std::int32_t offset, const std::vector<std::int32_t>& size,
                 const std::vector<std::int32_t>& stride, const std::string& pid_tail = "") {
    global("torch._utils", "_rebuild_tensor_v2").raw("((").str("storage");
    global("torch", storage_type).str(key).str("cpu").num(numel).raw(pid_tail).raw("tQ").num(offset);
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
  CHECK_THAT(error_of<FormatError>(text), Catch::Contains("neither a zip") && Catch::Contains(text));

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

// Issue 22, item 16: a 1 MB .pt grew to 2.3 GB (each entry was capped at 4 GiB, the total not).
TEST_CASE("issue 22 item 16: a zip bomb is refused before it is inflated", "[checkpoint][issue22]") {
  const int n = 8 << 20;  // 32 MiB of zeros: deflated to about 32 KiB
  const std::string bomb = write_zip("bomb.pt", {{"archive/data.pkl", one_tensor_pickle(n, 0, {n}, {1})},
                                                 {"archive/data/0", std::string(static_cast<std::size_t>(n) * 4, '\0')}},
                                     ZIP_CM_DEFLATE);
  REQUIRE(std::filesystem::file_size(bomb) < (1u << 20));
  CHECK_THAT(error_of<FormatError>(bomb),
             Catch::Contains("bomb.pt") && Catch::Contains("times the archive's") && Catch::Contains("zip bomb"));
  // Deflated entries of an ordinary size still load.
  const std::string small = write_zip("deflated.pt", {{"archive/data.pkl", one_tensor_pickle(12, 0, {12}, {1})},
                                                      {"archive/data/0", raw_bytes(iota_floats(12))}},
                                      ZIP_CM_DEFLATE);
  const TensorDict d = dubkit::load_torch_checkpoint(small);
  REQUIRE(d.size() == 1);
  CHECK(bytes_of(d.items()[0].second) == raw_bytes(iota_floats(12)));
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

// ----------------------------------------------------------------------------- legacy format

namespace {

// tests/fixtures/make_checkpoint_fixtures.py: flat element i of entry k is sin(0.1*(i+1) + k).
std::vector<float> fixture_pattern(std::size_t n, int k) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i)
    v[i] = static_cast<float>(std::sin(0.1 * static_cast<double>(i + 1) + k));
  return v;
}

// A legacy torch.save file: magic number, version 1001, sys_info, `object`, the key list
// `keys`, then `tail` (the storages: int64 element count and the elements, for each key).
std::string legacy_file(const std::string& object, const std::string& keys, const std::string& tail,
                        std::int32_t version = 1001, bool little_endian = true) {
  const std::string magic("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.", 15);
  const std::string info =
      Pickle().raw("}").str("little_endian").raw(little_endian ? "\x88" : "\x89").raw("s").done();
  return magic + Pickle().num(version).done() + info + object + keys + tail;
}

std::string le64(std::uint64_t v) {
  std::string s;
  for (int i = 0; i < 8; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

// {'w': storage "0" as [12]}; the legacy persistent id has a sixth element, here `view`.
std::string legacy_object(std::int32_t numel = 12, const std::string& view = "N") {
  return Pickle().raw("}").str("w").tensor("FloatStorage", "0", numel, 0, {12}, {1}, view).raw("s").done();
}
std::string key_list(const std::vector<std::string>& keys) {
  Pickle p;
  p.raw("](");
  for (const auto& k : keys) p.str(k);
  return p.raw("e").done();
}
const std::string kTwelveFloats = le64(12) + raw_bytes(iota_floats(12));

template <class E>
std::string memory_error_of(const std::string& bytes, const std::string& source) {
  try {
    dubkit::load_torch_checkpoint_from_memory(bytes.data(), bytes.size(), source);
  } catch (const E& e) {
    return e.what();
  }
  FAIL("no exception for " << source);
  return {};
}

}  // namespace

TEST_CASE("checkpoint: the legacy and zip fixtures hold the same tensors, those of the formulas",
          "[checkpoint]") {
  const std::string legacy_path = kTestData + "/checkpoint_legacy.pt";
  const std::string zip_path = kTestData + "/checkpoint_zip.pt";
  const TensorDict legacy = dubkit::load_torch_checkpoint(legacy_path);
  const TensorDict zip = dubkit::load_torch_checkpoint(zip_path);
  REQUIRE(names_of(legacy) == std::vector<std::string>{"conv.weight", "conv.bias", "shared.base",
                                                       "shared.view", "half",
                                                       "bn.num_batches_tracked"});
  REQUIRE(names_of(zip) == names_of(legacy));
  for (std::size_t i = 0; i < legacy.size(); ++i) {
    INFO(legacy.items()[i].first);
    CHECK(legacy.items()[i].second.dtype == zip.items()[i].second.dtype);
    CHECK(legacy.items()[i].second.shape == zip.items()[i].second.shape);
    CHECK(bytes_of(legacy.items()[i].second) == bytes_of(zip.items()[i].second));
  }
  // Exact values: the formulas of make_checkpoint_fixtures.py, float32 from double.
  CHECK(legacy.at("conv.weight").shape == std::vector<std::int64_t>{2, 3, 2});
  CHECK(legacy.at("conv.weight").to_float() == fixture_pattern(12, 0));
  CHECK(legacy.at("conv.bias").to_float() == fixture_pattern(2, 1));
  const std::vector<float> base = fixture_pattern(20, 2);
  CHECK(legacy.at("shared.base").shape == std::vector<std::int64_t>{4, 5});
  CHECK(legacy.at("shared.base").to_float() == base);
  // base.t()[1:4]: element (r, c) is base[c, r + 1].
  std::vector<float> view;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) view.push_back(base[static_cast<std::size_t>(c * 5 + r + 1)]);
  CHECK(legacy.at("shared.view").shape == std::vector<std::int64_t>{3, 4});
  CHECK(legacy.at("shared.view").to_float() == view);
  CHECK(legacy.at("half").dtype == DType::F16);
  CHECK(legacy.at("half").to_float() == std::vector<float>{-1, -0.5f, 0, 0.5f});
  CHECK(legacy.at("bn.num_batches_tracked").dtype == DType::I64);
  CHECK(legacy.at("bn.num_batches_tracked").shape.empty());
  CHECK(bytes_of(legacy.at("bn.num_batches_tracked")) == le64(42));

  // The same through memory and through load_weight_file, which tells the format by content.
  const std::string bytes = read_file(legacy_path);
  const TensorDict from_memory =
      dubkit::load_torch_checkpoint_from_memory(bytes.data(), bytes.size(), "legacy");
  const TensorDict from_weight_file = dubkit::load_weight_file(legacy_path);
  REQUIRE(names_of(from_memory) == names_of(legacy));
  REQUIRE(names_of(from_weight_file) == names_of(legacy));
  for (std::size_t i = 0; i < legacy.size(); ++i) {
    CHECK(bytes_of(from_memory.items()[i].second) == bytes_of(legacy.items()[i].second));
    CHECK(bytes_of(from_weight_file.items()[i].second) == bytes_of(legacy.items()[i].second));
  }
  CHECK(dubkit::load_weight_metadata(legacy_path).empty());
}

TEST_CASE("checkpoint: a legacy file cut at any byte is refused", "[checkpoint]") {
  const std::string bytes = read_file(kTestData + "/checkpoint_legacy.pt");
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    INFO(n << " of " << bytes.size() << " bytes");
    REQUIRE_THROWS_AS(dubkit::load_torch_checkpoint_from_memory(bytes.data(), n, "cut"),
                      FormatError);
  }
  const std::string half = (scratch_dir() / "legacy_half.pt").string();
  std::ofstream(half, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  CHECK_THAT(error_of<FormatError>(half), Catch::Contains(half) && Catch::Contains("byte "));
}

TEST_CASE("checkpoint: a legacy file whose storages disagree with its pickle is refused",
          "[checkpoint]") {
  const std::string bytes = read_file(kTestData + "/checkpoint_legacy.pt");
  // The fixture's storages: 12 + 2 + 20 floats, 4 halves, 1 long, each after an 8-byte count.
  const std::size_t data = bytes.size() - (5 * 8 + 12 * 4 + 2 * 4 + 20 * 4 + 4 * 2 + 8);
  std::uint64_t first = 0;
  std::memcpy(&first, bytes.data() + data, 8);
  REQUIRE((first == 12 || first == 2 || first == 20 || first == 4 || first == 1));
  std::string wrong = bytes;
  const std::string count = le64(first + 1);
  wrong.replace(data, 8, count);
  CHECK_THAT(memory_error_of<FormatError>(wrong, "count.pt"),
             Catch::Contains("count.pt") && Catch::Contains("byte " + std::to_string(data)) &&
                 Catch::Contains("holds " + std::to_string(first + 1) + " elements"));
  wrong.replace(data, 8, le64(~std::uint64_t{0}));
  CHECK_THAT(memory_error_of<FormatError>(wrong, "huge.pt"),
             Catch::Contains("holds 18446744073709551615 elements"));
  CHECK_THAT(memory_error_of<FormatError>(bytes + '\0', "tail.pt"),
             Catch::Contains("1 bytes after the last storage"));
}

TEST_CASE("checkpoint: hand-made legacy files, good and hostile", "[checkpoint]") {
  const std::string good = legacy_file(legacy_object(), key_list({"0"}), kTwelveFloats);
  const TensorDict d = dubkit::load_torch_checkpoint_from_memory(good.data(), good.size(), "good");
  CHECK(d.at("w").to_float() == iota_floats(12));

  // As Python 2 pickles a state dict: str keys as SHORT_BINSTRING / BINSTRING, the OrderedDict
  // rebuilt from a list of [key, value] lists, its _metadata set by BUILD.
  Pickle py2;
  py2.global("collections", "OrderedDict").raw("](](").raw(std::string("U\x01w", 3));
  py2.tensor("FloatStorage", "0", 12, 0, {12}, {1}, "N").raw("ee\x85R");
  py2.raw("}").raw(std::string("T\x09\0\0\0_metadata", 14)).raw("}sb");
  const std::string python2 = legacy_file(py2.done(), key_list({"0"}), kTwelveFloats);
  const TensorDict d2 = dubkit::load_torch_checkpoint_from_memory(python2.data(), python2.size(), "py2");
  REQUIRE(names_of(d2) == std::vector<std::string>{"w"});
  CHECK(d2.at("w").to_float() == iota_floats(12));

  struct Case {
    const char* name;
    std::string file;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"OrderedDict of a non-pair",
       legacy_file(Pickle().global("collections", "OrderedDict").raw("](K\x01" "e\x85R").done(), key_list({}), ""),
       "not a pair"},
      {"negative BINSTRING", legacy_file(Pickle().raw("T\xff\xff\xff\xff").done(), key_list({}), ""),
       "negative length"},
      {"version", legacy_file(legacy_object(), key_list({"0"}), kTwelveFloats, 1000), "not 1001"},
      {"big-endian", legacy_file(legacy_object(), key_list({"0"}), kTwelveFloats, 1001, false),
       "big-endian"},
      {"storage view", legacy_file(legacy_object(12, Pickle().raw("(").str("1").num(0).num(12).raw("t").unfinished().substr(2)),
                                   key_list({"0"}), kTwelveFloats),
       "view of another storage"},
      {"zip-style persistent id", legacy_file(legacy_object(12, ""), key_list({"0"}), kTwelveFloats),
       "persistent id is not"},
      {"numel beyond the file", legacy_file(legacy_object(1000000), key_list({"0"}), kTwelveFloats),
       "more than the file's"},
      {"numel beyond 4 GiB", legacy_file(legacy_object(0x7fffffff), key_list({"0"}), kTwelveFloats),
       "declares"},
      {"unused key", legacy_file(legacy_object(), key_list({"0", "1"}), kTwelveFloats + kTwelveFloats),
       "no object uses it"},
      {"unlisted key", legacy_file(legacy_object(), key_list({}), kTwelveFloats),
       "missing from the storage key list"},
      {"key listed twice", legacy_file(legacy_object(), key_list({"0", "0"}), kTwelveFloats + kTwelveFloats),
       "listed twice"},
      {"key list not a list", legacy_file(legacy_object(), Pickle().raw("}").done(), kTwelveFloats),
       "not a list"},
      {"storage cut short", legacy_file(legacy_object(), key_list({"0"}), kTwelveFloats.substr(0, 50)),
       "truncated"},
      {"persistent id not a tuple", legacy_file(Pickle().raw("NQ").done(), key_list({}), ""),
       "persistent id"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    CHECK_THAT(memory_error_of<FormatError>(c.file, "hand.pt"),
               Catch::Contains(c.message) && Catch::Contains("hand.pt") && Catch::Contains("byte "));
  }
}
