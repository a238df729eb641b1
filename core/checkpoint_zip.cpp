// The zip container, torch.save's default since PyTorch 1.6: <prefix>/data.pkl and one
// <prefix>/data/<key> entry per storage, read with libzip without writing anything back.
#include <zip.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <memory>
#include <vector>

#include "core/checkpoint_formats.hpp"
#include "core/checkpoint_pickle.hpp"
#include "core/error.hpp"

namespace dubkit::torch_save {
namespace {

struct ZipDiscard {
  void operator()(zip_t* z) const { zip_discard(z); }  // read-only: never write anything back
};
struct ZipFileClose {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};
struct ZipSourceFree {
  void operator()(zip_source_t* s) const { zip_source_free(s); }
};
using ZipPtr = std::unique_ptr<zip_t, ZipDiscard>;
using ZipFilePtr = std::unique_ptr<zip_file_t, ZipFileClose>;
using ZipSourcePtr = std::unique_ptr<zip_source_t, ZipSourceFree>;

class ZipError {
 public:
  ZipError() { zip_error_init(&e_); }
  explicit ZipError(int code) { zip_error_init_with_code(&e_, code); }
  ~ZipError() { zip_error_fini(&e_); }
  ZipError(const ZipError&) = delete;
  ZipError& operator=(const ZipError&) = delete;
  zip_error_t* get() { return &e_; }

 private:
  zip_error_t e_;
};

struct Archive {
  ZipPtr zip;
  std::string source;
  std::uint64_t bytes = 0;  // size of the whole archive
  std::string prefix;       // "<prefix>/data.pkl"
  mutable std::uint64_t inflated = 0;  // bytes its entries were read to so far
};

// torch.save stores its entries uncompressed, so a checkpoint's entries hold about the
// archive's size; a zip bomb (issue 22, item 16: 1 MB growing to 2.3 GB) holds thousands of
// times more. Reading stops at this many times the archive, plus room for a tiny archive's
// pickle.
constexpr std::uint64_t kMaxExpansion = 16, kExpansionAllowance = std::uint64_t{1} << 20;

using torch_save::fail;
[[noreturn]] void fail(const Archive& ar, const std::string& what) { fail(ar.source, what); }

[[noreturn]] void open_failed(ZipError& err, const std::string& source, bool zip_magic,
                              bool from_file) {
  const int code = zip_error_code_zip(err.get());
  const std::string msg = zip_error_strerror(err.get());
  if (from_file && (code == ZIP_ER_OPEN || code == ZIP_ER_READ || code == ZIP_ER_SEEK ||
                    code == ZIP_ER_NOENT || code == ZIP_ER_MEMORY))
    throw IoError(source + ": cannot read: " + msg);
  if (code == ZIP_ER_NOZIP && zip_magic)
    throw FormatError(source + ": truncated or damaged zip archive (" + msg + ")");
  if (code == ZIP_ER_NOZIP)
    throw FormatError(source + ": not a torch.save checkpoint (neither a zip archive nor the "
                      "legacy format's magic number)");
  throw FormatError(source + ": damaged zip archive (" + msg + ")");
}

std::string find_prefix(const Archive& ar) {
  const zip_int64_t n = zip_get_num_entries(ar.zip.get(), 0);
  std::string found;
  for (zip_int64_t i = 0; i < n; ++i) {
    const char* name = zip_get_name(ar.zip.get(), static_cast<zip_uint64_t>(i), 0);
    if (!name || !ends_with(name, "/data.pkl")) continue;
    if (!found.empty()) fail(ar, "holds more than one data.pkl (" + printable(found) + ", " +
                                     printable(name) + ")");
    found = name;
  }
  if (found.size() <= std::strlen("/data.pkl"))
    fail(ar, "no <name>/data.pkl entry: not a torch.save checkpoint");
  return found.substr(0, found.size() - std::strlen("/data.pkl"));
}

std::uint64_t entry_size(const Archive& ar, zip_uint64_t index, const std::string& name) {
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat_index(ar.zip.get(), index, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
    fail(ar, printable(name) + ": cannot read the entry's size");
  if (st.size > kMaxEntryBytes)
    fail(ar, printable(name) + ": claims " + std::to_string(st.size) +
                 " bytes, more than the 4 GiB limit");
  return st.size;
}

std::vector<std::byte> read_entry(const Archive& ar, zip_uint64_t index, const std::string& name) {
  const std::uint64_t claimed = entry_size(ar, index, name);
  const std::uint64_t budget = kMaxExpansion * ar.bytes + kExpansionAllowance;
  if (ar.inflated + claimed > budget)
    fail(ar, printable(name) + ": claims " + std::to_string(claimed) + " bytes, which with the " +
                 std::to_string(ar.inflated) + " read before is more than " + std::to_string(kMaxExpansion) +
                 " times the archive's " + std::to_string(ar.bytes) + " (a zip bomb; torch.save stores entries uncompressed)");
  ar.inflated += claimed;
  ZipFilePtr f(zip_fopen_index(ar.zip.get(), index, 0));
  if (!f) fail(ar, printable(name) + ": cannot open: " + zip_strerror(ar.zip.get()));
  // The claimed size is trusted only as far as the archive could back it: a stored entry gets
  // one exact buffer, a compressed one grows only as its bytes really arrive.
  std::vector<std::byte> buf(std::min(claimed, ar.bytes));
  std::uint64_t got = 0;
  while (got < claimed) {
    if (got == buf.size()) buf.resize(std::min<std::uint64_t>(claimed, 2 * buf.size() + 1));
    const zip_int64_t n = zip_fread(f.get(), buf.data() + got, buf.size() - got);
    if (n < 0)
      fail(ar, printable(name) + ": " + zip_file_strerror(f.get()) + " after " +
                   std::to_string(got) + " of the " + std::to_string(claimed) +
                   " bytes its header claims");
    if (n == 0) break;
    got += static_cast<std::uint64_t>(n);
  }
  // Reading past the end also makes libzip verify the CRC.
  std::byte extra{};
  const zip_int64_t more = got == claimed ? zip_fread(f.get(), &extra, 1) : 0;
  if (more < 0) fail(ar, printable(name) + ": " + zip_file_strerror(f.get()));
  if (got != claimed || more > 0)
    fail(ar, printable(name) + ": holds " + (more > 0 ? "more than " : "") + std::to_string(got) +
                 " bytes but its header claims " + std::to_string(claimed));
  buf.resize(got);
  return buf;
}

// Returns -1 when the archive has no such entry.
zip_int64_t locate(const Archive& ar, const std::string& relative) {
  return zip_name_locate(ar.zip.get(), (ar.prefix + "/" + relative).c_str(), 0);
}

void check_byteorder(const Archive& ar) {
  const zip_int64_t i = locate(ar, "byteorder");
  if (i < 0) return;  // written only by newer torch; older files are little-endian
  const std::vector<std::byte> b =
      read_entry(ar, static_cast<zip_uint64_t>(i), ar.prefix + "/byteorder");
  const std::string order(reinterpret_cast<const char*>(b.data()), b.size());
  if (order != "little")
    fail(ar, "byteorder is '" + printable(order) + "'; only little-endian checkpoints are read");
}

// The zip container: storage <key> is the entry <prefix>/data/<key>, exactly numel elements.
class ZipStorages : public StorageSource {
 public:
  explicit ZipStorages(const Archive& ar) : ar_(ar) {}
  std::size_t persistent_id_size() const override { return 5; }
  std::string declare(const std::string& key, Storage& s) override {
    s.name = "data/" + printable(key);
    const zip_int64_t entry = locate(ar_, "data/" + key);
    if (entry < 0) return "storage " + s.name + " has no entry in the archive";
    s.entry = static_cast<zip_uint64_t>(entry);
    const std::uint64_t size = entry_size(ar_, s.entry, s.name);
    if (size != static_cast<std::uint64_t>(s.numel) * dtype_size(s.dtype))
      return "storage " + s.name + " declares " + std::to_string(s.numel) + " " +
             dtype_name(s.dtype) + " elements but its entry holds " + std::to_string(size) + " bytes";
    return {};
  }
  const std::byte* bytes(Storage& s) override {
    if (!s.data) {
      s.owned = read_entry(ar_, s.entry, ar_.prefix + "/" + s.name);
      s.data = s.owned.data();
    }
    return s.data;
  }

 private:
  const Archive& ar_;
};

TensorDict load_archive(Archive ar) {
  if (zip_get_num_entries(ar.zip.get(), 0) <= 0)
    fail(ar, "empty zip archive: not a torch.save checkpoint");
  ar.prefix = find_prefix(ar);
  check_byteorder(ar);
  const zip_int64_t pkl_entry = locate(ar, "data.pkl");
  const std::vector<std::byte> pkl =
      read_entry(ar, static_cast<zip_uint64_t>(pkl_entry), ar.prefix + "/data.pkl");
  const std::string_view pickle(reinterpret_cast<const char*>(pkl.data()), pkl.size());
  ZipStorages storages(ar);
  Unpickler unpickler(ar.source, ar.prefix + "/data.pkl, ", pickle, 0, &storages);
  const Value root = unpickler.run();
  return extract_state_dict(ar.source, storages, root, unpickler.storage_bytes());
}

}  // namespace

TensorDict load_zip_file(const std::string& path, std::uint64_t bytes) {
  int code = 0;
  ZipPtr zip(zip_open(path.c_str(), ZIP_RDONLY, &code));
  if (!zip) {
    char magic[4] = {};
    std::ifstream(path, std::ios::binary).read(magic, sizeof magic);
    ZipError err(code);
    open_failed(err, path, std::memcmp(magic, "PK\3\4", 4) == 0, true);
  }
  return load_archive(Archive{std::move(zip), path, bytes, {}});
}

TensorDict load_zip_memory(const void* data, std::size_t size, const std::string& source) {
  ZipError err;
  ZipSourcePtr src(zip_source_buffer_create(data, size, 0, err.get()));
  if (!src) throw IoError(source + ": " + zip_error_strerror(err.get()));
  ZipPtr zip(zip_open_from_source(src.get(), ZIP_RDONLY, err.get()));
  if (!zip) open_failed(err, source, size >= 4 && std::memcmp(data, "PK\3\4", 4) == 0, false);
  src.release();  // the archive owns its source once opened
  return load_archive(Archive{std::move(zip), source, size, {}});
}

}  // namespace dubkit::torch_save
