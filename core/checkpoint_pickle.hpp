// Internal to the checkpoint reader (core/checkpoint.hpp): the strict interpreter of the pickle
// subset torch.save emits for state dicts, the values it builds, and the state dict found in
// them. The containers (zip, legacy; core/checkpoint_formats.hpp) say where a pickle's storages
// get their bytes; nothing here knows either container.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "core/tensor.hpp"

namespace dubkit::torch_save {

// The largest zip entry, storage or legacy file read; far above any real checkpoint, it only
// keeps hostile input from exhausting memory.
constexpr std::uint64_t kMaxEntryBytes = std::uint64_t{4} << 30;

// Throws FormatError("<source>: <what>").
[[noreturn]] void fail(const std::string& source, const std::string& what);
// File contents quoted in messages may be arbitrary bytes: the first 80, non-printables as '?'.
std::string printable(std::string_view s);
bool ends_with(std::string_view s, std::string_view suffix);

enum class Callable { OrderedDict, RebuildTensor, RebuildTensorV2, RebuildParameter, Storage };

// Something a GLOBAL may name (the list is in checkpoint_pickle.cpp).
struct Global {
  const char* module;
  const char* name;
  Callable kind;
  DType dtype;  // of a Storage
};

struct Seq;
struct Storage;
struct TensorView;
// Containers, strings and tensors live in the Unpickler's arena and are referenced by pointer,
// so memoised objects are shared as in Python and reference cycles cannot leak.
using Value = std::variant<std::monostate, bool, std::int64_t, double, const std::string*, Seq*,
                           const Global*, Storage*, TensorView*>;

enum class SeqKind { Tuple, List, Dict };
struct Seq {
  SeqKind kind;
  std::vector<Value> items;  // a dict's alternate key, value
};

struct Storage {
  DType dtype;
  std::int64_t numel;
  std::string name;                  // for messages: "data/<key>" (zip), "storage <key>" (legacy)
  std::uint64_t entry = 0;           // zip: the data/<key> entry
  std::vector<std::byte> owned;      // zip: read on first use; entries outside the state dict never are
  const std::byte* data = nullptr;   // numel elements, once known
};

// Where the bytes of the storages a pickle names come from: the data/<key> entries of a zip, or
// the tail of a legacy file. The Unpickler only declares storages; the bytes are fetched when a
// tensor is materialised, so it is tied to neither container.
class StorageSource {
 public:
  virtual ~StorageSource() = default;
  // Elements of a persistent id: 5 in a zip, 6 (with view_metadata) in a legacy file.
  virtual std::size_t persistent_id_size() const = 0;
  // Checks a storage the pickle declares for the first time (s.dtype, s.numel are set) and sets
  // s.name; returns what is wrong, empty when it is fine.
  virtual std::string declare(const std::string& key, Storage& s) = 0;
  // The storage's numel elements; throws FormatError when they cannot be read.
  virtual const std::byte* bytes(Storage& s) = 0;
};

// The size and stride tuples are referenced, not copied: a hostile pickle could otherwise
// rebuild many tensors from one memoised 64-dim tuple at a few bytes each.
struct TensorView {
  Storage* storage;
  std::int64_t offset;
  const Seq* size;
  const Seq* stride;
};

// "None", "int", "dict"...: what a value is, for messages.
const char* type_name(const Value& v);
// The Seq `v` holds when it is one of `kind`, else nullptr.
Seq* as_seq(const Value& v, SeqKind kind);
// The value of a string key of a dict; nullptr when absent.
const Value* dict_get(const Seq& dict, std::string_view key);
// The ints of a tuple that rebuild_tensor already checked holds only ints.
std::vector<std::int64_t> checked_ints(const Seq& tuple);

class Unpickler {
 public:
  // Interprets the pickle that starts at byte `start` of `in`. `where` prefixes the byte offsets
  // in messages ("archive/data.pkl, "; empty when the offsets are the file's own). Persistent
  // ids (storages) are refused when `storages` is null.
  Unpickler(const std::string& source, std::string where, std::string_view in, std::size_t start,
            StorageSource* storages);

  // Interprets opcodes up to STOP; returns the object it built. Throws FormatError naming the
  // byte of the first opcode, global or structure outside the subset, or any exceeded limit.
  Value run();
  // Where the pickle ended: the byte after its STOP.
  std::size_t end() const { return pos_; }
  // Sum of the byte sizes of every storage the pickle referenced.
  std::uint64_t storage_bytes() const { return storage_bytes_; }

 private:
  [[noreturn]] void fail(const std::string& what) const;

  std::string_view take(std::uint64_t n);
  std::uint64_t uint_le(int n);
  std::string_view line();

  std::size_t frame_base() const;
  void push(Value v);
  Value& top();
  Value pop();
  std::vector<Value> pop_n(std::size_t n);
  std::vector<Value> pop_mark();

  template <class T>
  T* make(std::deque<T>& pool, T value);
  Seq* make_seq(SeqKind kind, std::vector<Value> items = {});
  const std::string* make_str(std::string_view s);

  void memo_put(std::uint64_t index);
  Value memo_get(std::uint64_t index);
  std::int64_t read_long1();
  double read_binfloat();
  const Global* read_global();
  Seq& dict_on_top(const char* op);
  Value call(const Value& fn, const Value& args);
  TensorView* rebuild_tensor(const std::vector<Value>& args);
  Storage* persistent_load(const Value& pid);
  std::int64_t as_int(const Value& v, const char* what);
  const Seq* int_tuple(const Value& v, const char* what);

  const std::string& source_;
  const std::string where_;
  std::string_view in_;
  std::size_t pos_ = 0;
  StorageSource* storages_;
  std::size_t op_pos_ = 0;  // where the current opcode starts, for messages
  std::vector<Value> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<std::uint64_t, Value> memo_;
  std::size_t objects_ = 0;
  std::deque<std::string> strings_;
  std::deque<Seq> seqs_;
  std::deque<Storage> storages_pool_;
  std::deque<TensorView> tensors_;
  std::unordered_map<std::string, Storage*> storage_by_key_;
  std::uint64_t storage_bytes_ = 0;
};

// The tensors of the unpickled object `root` (core/checkpoint.hpp says where the state dict may
// sit and how names are cleaned), copied out of `storages`. `storage_bytes` (the Unpickler's)
// bounds what overlapping views may expand to. Throws FormatError naming `source`.
TensorDict extract_state_dict(const std::string& source, StorageSource& storages, const Value& root,
                              std::uint64_t storage_bytes);

}  // namespace dubkit::torch_save
