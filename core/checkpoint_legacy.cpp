// The legacy container: torch.save before PyTorch 1.6, and with
// _use_new_zipfile_serialization=False since (torch/serialization.py, _legacy_save and
// _legacy_load): five pickles back to back,
//   1. the magic number 0x1950a86a20f9469cfc6c (a LONG1),
//   2. the format's protocol version, 1001,
//   3. sys_info, a dict whose 'little_endian' says the byte order of the storages,
//   4. the saved object, whose persistent ids are
//      ('storage', storage type, key, location, numel, view_metadata),
//   5. the list of storage keys in the order their bytes follow,
// then, for each key of that list, its element count (int64 little-endian) and the raw elements.
// The pickles' byte offsets are the file's, so messages give those. The tar-based format of the
// first PyTorch releases (legacy_load's tarfile branch) is not read.
#include <cstring>
#include <unordered_map>
#include <variant>
#include <vector>

#include "core/checkpoint_formats.hpp"
#include "core/checkpoint_pickle.hpp"

namespace dubkit::torch_save {
namespace {

constexpr unsigned char kLegacyMagic[] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
constexpr std::int64_t kLegacyProtocolVersion = 1001;

// Storages of a legacy file: declared by the main pickle, their bytes located only once the
// key list after it has been read. They stay views into the file's bytes.
class LegacyStorages : public StorageSource {
 public:
  LegacyStorages(const std::string& source, std::uint64_t file_bytes)
      : source_(source), file_bytes_(file_bytes) {}
  std::size_t persistent_id_size() const override { return 6; }
  std::string declare(const std::string& key, Storage& s) override {
    s.name = "storage " + printable(key);
    // No storage can hold more bytes than the whole file, which bounds what views may expand.
    if (static_cast<std::uint64_t>(s.numel) * dtype_size(s.dtype) > file_bytes_)
      return s.name + " declares " + std::to_string(s.numel) + " " + dtype_name(s.dtype) +
             " elements, more than the file's " + std::to_string(file_bytes_) + " bytes hold";
    declared.push_back(&s);
    by_key.emplace(key, &s);
    return {};
  }
  const std::byte* bytes(Storage& s) override {
    if (!s.data) fail(source_, s.name + " has no bytes");  // load_legacy checked every storage
    return s.data;
  }

  std::vector<Storage*> declared;  // in the order the pickle names them
  std::unordered_map<std::string, Storage*> by_key;

 private:
  const std::string& source_;
  std::uint64_t file_bytes_;
};

[[noreturn]] void fail_at(const std::string& source, std::size_t pos, const std::string& what) {
  fail(source, "byte " + std::to_string(pos) + ": " + what);
}

}  // namespace

std::size_t legacy_magic_length(std::string_view head) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(head[i]); };
  if (head.size() < 2 || byte(0) != 0x80 || byte(1) < 2 || byte(1) > 5) return 0;
  std::size_t pos = 2;
  if (head.size() > pos && byte(pos) == 0x95) pos += 9;  // FRAME and its 8-byte length
  if (head.size() < pos + 2 + sizeof kLegacyMagic || byte(pos) != 0x8a || byte(pos + 1) != 10 ||
      std::memcmp(head.data() + pos + 2, kLegacyMagic, sizeof kLegacyMagic) != 0)
    return 0;
  return pos + 2 + sizeof kLegacyMagic;
}

TensorDict load_legacy(std::string_view file, const std::string& source) {
  std::size_t pos = legacy_magic_length(file);
  if (pos == 0) fail(source, "no legacy torch.save magic number");
  if (pos >= file.size() || file[pos] != '.')
    fail_at(source, pos, "the magic number's pickle does not end with STOP");
  ++pos;

  Unpickler version_pickle(source, "", file, pos, nullptr);
  const Value version = version_pickle.run();
  if (!std::holds_alternative<std::int64_t>(version) ||
      std::get<std::int64_t>(version) != kLegacyProtocolVersion)
    fail_at(source, pos, std::string("the legacy format version is ") +
                             (std::holds_alternative<std::int64_t>(version)
                                  ? std::to_string(std::get<std::int64_t>(version))
                                  : std::string("a ") + type_name(version)) +
                             ", not 1001");
  pos = version_pickle.end();

  Unpickler info_pickle(source, "", file, pos, nullptr);
  const Seq* info = as_seq(info_pickle.run(), SeqKind::Dict);
  const Value* little = info ? dict_get(*info, "little_endian") : nullptr;
  if (!little || !std::holds_alternative<bool>(*little))
    fail_at(source, pos, "sys_info is not a dict with a bool 'little_endian'");
  if (!std::get<bool>(*little))
    fail_at(source, pos, "the storages are big-endian; only little-endian checkpoints are read");
  pos = info_pickle.end();

  LegacyStorages storages(source, file.size());
  Unpickler object_pickle(source, "", file, pos, &storages);
  const Value root = object_pickle.run();
  pos = object_pickle.end();

  Unpickler keys_pickle(source, "", file, pos, nullptr);
  const Value keys_value = keys_pickle.run();
  const Seq* keys = as_seq(keys_value, SeqKind::List);
  if (!keys)
    fail_at(source, pos, std::string("the storage key list is a ") + type_name(keys_value) +
                             ", not a list");
  pos = keys_pickle.end();

  for (const Value& k : keys->items) {
    const auto* key = std::get_if<const std::string*>(&k);
    if (!key) fail_at(source, pos, std::string("a storage key is a ") + type_name(k) + ", not a str");
    const auto it = storages.by_key.find(**key);
    if (it == storages.by_key.end())
      fail_at(source, pos, "storage " + printable(**key) + " is listed but no object uses it");
    Storage& s = *it->second;
    if (s.data) fail_at(source, pos, s.name + " is listed twice");
    if (file.size() - pos < 8)
      fail_at(source, pos, "truncated: the element count of " + s.name + " needs 8 bytes, " +
                               std::to_string(file.size() - pos) + " left");
    std::uint64_t count = 0;
    for (int i = 7; i >= 0; --i) count = (count << 8) | static_cast<unsigned char>(file[pos + i]);
    if (count != static_cast<std::uint64_t>(s.numel))
      fail_at(source, pos, s.name + " holds " + std::to_string(count) + " elements but the pickle declares " +
                               std::to_string(s.numel));
    pos += 8;
    const std::uint64_t bytes = count * dtype_size(s.dtype);  // declare() bounded it by the file size
    if (bytes > file.size() - pos)
      fail_at(source, pos, "truncated: " + s.name + " needs " + std::to_string(bytes) + " bytes, " +
                               std::to_string(file.size() - pos) + " left");
    s.data = reinterpret_cast<const std::byte*>(file.data() + pos);
    pos += bytes;
  }
  for (const Storage* s : storages.declared)
    if (!s->data) fail_at(source, pos, s->name + " is used but missing from the storage key list");
  if (pos != file.size())
    fail_at(source, pos, std::to_string(file.size() - pos) + " bytes after the last storage");
  return extract_state_dict(source, storages, root, object_pickle.storage_bytes());
}

}  // namespace dubkit::torch_save
