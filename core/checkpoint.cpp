#include "core/checkpoint.hpp"

#include <zip.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "core/error.hpp"

namespace dubkit {
namespace {

// Limits far above any real checkpoint; they only keep hostile input from exhausting memory.
constexpr std::uint64_t kMaxEntryBytes = std::uint64_t{4} << 30;
constexpr std::size_t kMaxStack = std::size_t{1} << 20;
constexpr std::size_t kMaxMemo = std::size_t{1} << 20;
constexpr std::size_t kMaxObjects = std::size_t{1} << 22;
constexpr std::size_t kMaxRank = 64;
// Overlapping views (tied weights, expand()) legitimately materialise more bytes than their
// storages hold, but a few stride-0 bytes must not be able to demand gigabytes.
constexpr std::uint64_t kViewExpansion = 4;
constexpr std::uint64_t kViewSlackBytes = std::uint64_t{256} << 20;
// Where a state dict is nested in a training checkpoint, in the order they are tried.
constexpr const char* kNestedKeys[] = {"generator", "model_state", "state_dict", "model"};

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// File contents quoted in messages may be arbitrary bytes.
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 80)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return s.size() > 80 ? out + "..." : out;
}

// ---------------------------------------------------------------------------- zip container

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
};

[[noreturn]] void fail(const std::string& source, const std::string& what) {
  throw FormatError(source + ": " + what);
}
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

// ------------------------------------------------------------------------------ pickle values

enum class Callable { OrderedDict, RebuildTensor, RebuildTensorV2, RebuildParameter, Storage };

// Everything a GLOBAL may name. DoubleStorage and IntStorage are refused rather than converted:
// TensorDict has no F64/I32, and a silent conversion would hide that the file is unusual.
struct Global {
  const char* module;
  const char* name;
  Callable kind;
  DType dtype;  // of a Storage
};
constexpr Global kAllowedGlobals[] = {
    {"collections", "OrderedDict", Callable::OrderedDict, DType::F32},
    {"torch._utils", "_rebuild_tensor", Callable::RebuildTensor, DType::F32},
    {"torch._utils", "_rebuild_tensor_v2", Callable::RebuildTensorV2, DType::F32},
    {"torch._utils", "_rebuild_parameter", Callable::RebuildParameter, DType::F32},
    {"torch", "FloatStorage", Callable::Storage, DType::F32},
    {"torch", "HalfStorage", Callable::Storage, DType::F16},
    {"torch", "BFloat16Storage", Callable::Storage, DType::BF16},
    {"torch", "LongStorage", Callable::Storage, DType::I64},
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
  zip_uint64_t entry = 0;            // zip: the data/<key> entry
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

// The ints of a tuple that rebuild_tensor already checked holds only ints.
std::vector<std::int64_t> checked_ints(const Seq& tuple) {
  std::vector<std::int64_t> out;
  for (const Value& v : tuple.items) out.push_back(std::get<std::int64_t>(v));
  return out;
}

const char* type_name(const Value& v) {
  if (auto s = std::get_if<Seq*>(&v))
    return (*s)->kind == SeqKind::Tuple ? "tuple" : (*s)->kind == SeqKind::List ? "list" : "dict";
  static constexpr const char* kNames[] = {"None", "bool",    "int",     "float", "str",
                                           "",     "global", "storage", "tensor"};
  return kNames[v.index()];
}

Seq* as_seq(const Value& v, SeqKind kind) {
  auto s = std::get_if<Seq*>(&v);
  return s && (*s)->kind == kind ? *s : nullptr;
}

// ----------------------------------------------------------------------------- pickle opcodes

enum class Op : std::uint8_t {
  MARK = '(', STOP = '.', BININT = 'J', BININT1 = 'K', BININT2 = 'M', NONE = 'N',
  BINPERSID = 'Q', REDUCE = 'R', BINUNICODE = 'X', APPEND = 'a', BUILD = 'b', GLOBAL = 'c',
  EMPTY_DICT = '}', APPENDS = 'e', BINGET = 'h', LONG_BINGET = 'j', EMPTY_LIST = ']',
  BINPUT = 'q', LONG_BINPUT = 'r', SETITEM = 's', TUPLE = 't', EMPTY_TUPLE = ')',
  SETITEMS = 'u', BINFLOAT = 'G', SHORT_BINSTRING = 'U', BINSTRING = 'T', PROTO = 0x80,
  TUPLE1 = 0x85, TUPLE2 = 0x86, TUPLE3 = 0x87, NEWTRUE = 0x88, NEWFALSE = 0x89, LONG1 = 0x8a, SHORT_BINUNICODE = 0x8c, BINUNICODE8 = 0x8d,
  MEMOIZE = 0x94, FRAME = 0x95,
};

// Every opcode of pickle protocols 0-5, so a refusal can say what the file asked for.
std::string opcode_name(std::uint8_t op) {
  static constexpr std::pair<std::uint8_t, const char*> kNames[] = {
      {'(', "MARK"}, {'.', "STOP"}, {'0', "POP"}, {'1', "POP_MARK"}, {'2', "DUP"},
      {'F', "FLOAT"}, {'I', "INT"}, {'J', "BININT"}, {'K', "BININT1"}, {'L', "LONG"},
      {'M', "BININT2"}, {'N', "NONE"}, {'P', "PERSID"}, {'Q', "BINPERSID"}, {'R', "REDUCE"},
      {'S', "STRING"}, {'T', "BINSTRING"}, {'U', "SHORT_BINSTRING"}, {'V', "UNICODE"},
      {'X', "BINUNICODE"}, {'a', "APPEND"}, {'b', "BUILD"}, {'c', "GLOBAL"}, {'d', "DICT"},
      {'}', "EMPTY_DICT"}, {'e', "APPENDS"}, {'g', "GET"}, {'h', "BINGET"}, {'i', "INST"},
      {'j', "LONG_BINGET"}, {'l', "LIST"}, {']', "EMPTY_LIST"}, {'o', "OBJ"}, {'p', "PUT"},
      {'q', "BINPUT"}, {'r', "LONG_BINPUT"}, {'s', "SETITEM"}, {'t', "TUPLE"},
      {')', "EMPTY_TUPLE"}, {'u', "SETITEMS"}, {'G', "BINFLOAT"}, {'B', "BINBYTES"},
      {'C', "SHORT_BINBYTES"}, {0x80, "PROTO"}, {0x81, "NEWOBJ"}, {0x82, "EXT1"},
      {0x83, "EXT2"}, {0x84, "EXT4"}, {0x85, "TUPLE1"}, {0x86, "TUPLE2"}, {0x87, "TUPLE3"},
      {0x88, "NEWTRUE"}, {0x89, "NEWFALSE"}, {0x8a, "LONG1"}, {0x8b, "LONG4"},
      {0x8c, "SHORT_BINUNICODE"}, {0x8d, "BINUNICODE8"}, {0x8e, "BINBYTES8"},
      {0x8f, "EMPTY_SET"}, {0x90, "ADDITEMS"}, {0x91, "FROZENSET"}, {0x92, "NEWOBJ_EX"},
      {0x93, "STACK_GLOBAL"}, {0x94, "MEMOIZE"}, {0x95, "FRAME"}, {0x96, "BYTEARRAY8"},
      {0x97, "NEXT_BUFFER"}, {0x98, "READONLY_BUFFER"}};
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02x", op);
  for (const auto& [code, name] : kNames)
    if (code == op) return std::string(hex) + " (" + name + ")";
  return std::string(hex) + " (not a pickle opcode)";
}

// ------------------------------------------------------------------------------- unpickler

class Unpickler {
 public:
  // Interprets the pickle that starts at byte `start` of `in`. `where` prefixes the byte offsets
  // in messages ("archive/data.pkl, "; empty when the offsets are the file's own). Persistent
  // ids (storages) are refused when `storages` is null.
  Unpickler(const std::string& source, std::string where, std::string_view in, std::size_t start,
            StorageSource* storages)
      : source_(source), where_(std::move(where)), in_(in), pos_(start), storages_(storages) {}

  // Interprets opcodes up to STOP; returns the object it built.
  Value run();
  // Where the pickle ended: the byte after its STOP.
  std::size_t end() const { return pos_; }
  // Sum of the byte sizes of every storage the pickle referenced.
  std::uint64_t storage_bytes() const { return storage_bytes_; }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    dubkit::fail(source_, where_ + "byte " + std::to_string(op_pos_) + ": " + what);
  }

  std::string_view take(std::uint64_t n) {
    if (n > in_.size() - pos_)
      fail("truncated in " + opcode_name(static_cast<std::uint8_t>(in_[op_pos_])) + " (needs " +
           std::to_string(n) + " bytes, " + std::to_string(in_.size() - pos_) + " left)");
    const std::string_view s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::uint64_t uint_le(int n) {
    const std::string_view b = take(n);
    std::uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<std::uint8_t>(b[i]);
    return v;
  }
  std::string_view line() {
    const std::size_t end = in_.find('\n', pos_);
    if (end == std::string_view::npos) fail("truncated in GLOBAL (no newline)");
    const std::string_view s = in_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return s;
  }

  // MARK starts a new frame of the stack: nothing below it may be popped until it is closed.
  std::size_t frame_base() const { return marks_.empty() ? 0 : marks_.back(); }
  void push(Value v) {
    if (stack_.size() >= kMaxStack) fail("stack deeper than " + std::to_string(kMaxStack));
    stack_.push_back(v);
  }
  Value& top() {
    if (stack_.size() <= frame_base()) fail("stack underflow");
    return stack_.back();
  }
  Value pop() {
    Value v = top();
    stack_.pop_back();
    return v;
  }
  std::vector<Value> pop_n(std::size_t n) {
    if (stack_.size() < frame_base() + n) fail("stack underflow");
    std::vector<Value> items(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
    stack_.resize(stack_.size() - n);
    return items;
  }
  std::vector<Value> pop_mark() {
    if (marks_.empty()) fail("no MARK to pop to");
    const std::size_t base = marks_.back();
    marks_.pop_back();
    std::vector<Value> items(stack_.begin() + static_cast<std::ptrdiff_t>(base), stack_.end());
    stack_.resize(base);
    return items;
  }

  template <class T>
  T* make(std::deque<T>& pool, T value) {
    if (++objects_ > kMaxObjects) fail("more than " + std::to_string(kMaxObjects) + " objects");
    pool.push_back(std::move(value));
    return &pool.back();
  }
  Seq* make_seq(SeqKind kind, std::vector<Value> items = {}) {
    return make(seqs_, Seq{kind, std::move(items)});
  }
  const std::string* make_str(std::string_view s) { return make(strings_, std::string(s)); }

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

Value Unpickler::run() {
  for (;;) {
    op_pos_ = pos_;
    if (pos_ == in_.size()) fail("ends without a STOP opcode");
    const auto op = static_cast<std::uint8_t>(in_[pos_++]);
    switch (static_cast<Op>(op)) {
      case Op::PROTO: {
        const std::uint64_t v = uint_le(1);
        if (v < 2 || v > 5) fail("unsupported pickle protocol " + std::to_string(v));
        break;
      }
      case Op::FRAME: take(8); break;  // frames only group opcodes for buffered readers
      case Op::STOP: return pop();
      case Op::MARK:
        if (marks_.size() >= kMaxStack) fail("too many nested MARKs");
        marks_.push_back(stack_.size());
        break;
      case Op::EMPTY_DICT: push(make_seq(SeqKind::Dict)); break;
      case Op::EMPTY_LIST: push(make_seq(SeqKind::List)); break;
      case Op::EMPTY_TUPLE: push(make_seq(SeqKind::Tuple)); break;
      case Op::TUPLE: push(make_seq(SeqKind::Tuple, pop_mark())); break;
      case Op::TUPLE1: push(make_seq(SeqKind::Tuple, pop_n(1))); break;
      case Op::TUPLE2: push(make_seq(SeqKind::Tuple, pop_n(2))); break;
      case Op::TUPLE3: push(make_seq(SeqKind::Tuple, pop_n(3))); break;
      case Op::SHORT_BINUNICODE: push(make_str(take(uint_le(1)))); break;
      case Op::BINUNICODE: push(make_str(take(uint_le(4)))); break;
      case Op::BINUNICODE8: push(make_str(take(uint_le(8)))); break;
      // Python 2's str: legacy files saved under Python 2 name their keys with it. Read as text,
      // as torch.load does.
      case Op::SHORT_BINSTRING: push(make_str(take(uint_le(1)))); break;
      case Op::BINSTRING: {
        const auto n = static_cast<std::int32_t>(static_cast<std::uint32_t>(uint_le(4)));
        if (n < 0) fail("BINSTRING of negative length " + std::to_string(n));
        push(make_str(take(static_cast<std::uint64_t>(n))));
        break;
      }
      case Op::BININT:
        push(std::int64_t{static_cast<std::int32_t>(static_cast<std::uint32_t>(uint_le(4)))});
        break;
      case Op::BININT1: push(static_cast<std::int64_t>(uint_le(1))); break;
      case Op::BININT2: push(static_cast<std::int64_t>(uint_le(2))); break;
      case Op::LONG1: push(read_long1()); break;
      case Op::BINFLOAT: push(read_binfloat()); break;
      case Op::NEWTRUE: push(true); break;
      case Op::NEWFALSE: push(false); break;
      case Op::NONE: push(std::monostate{}); break;
      case Op::BINPUT: memo_put(uint_le(1)); break;
      case Op::LONG_BINPUT: memo_put(uint_le(4)); break;
      case Op::MEMOIZE: memo_put(memo_.size()); break;
      case Op::BINGET: push(memo_get(uint_le(1))); break;
      case Op::LONG_BINGET: push(memo_get(uint_le(4))); break;
      case Op::GLOBAL: push(read_global()); break;
      case Op::REDUCE: {
        const Value args = pop();
        const Value fn = pop();
        push(call(fn, args));
        break;
      }
      case Op::BUILD:  // only sets an OrderedDict's _metadata, which dubkit does not need
        pop();
        dict_on_top("BUILD");
        break;
      case Op::SETITEM: {
        const std::vector<Value> kv = pop_n(2);
        Seq& d = dict_on_top("SETITEM");
        d.items.insert(d.items.end(), kv.begin(), kv.end());
        break;
      }
      case Op::SETITEMS: {
        const std::vector<Value> kv = pop_mark();
        if (kv.size() % 2) fail("SETITEMS with an odd number of items");
        Seq& d = dict_on_top("SETITEMS");
        d.items.insert(d.items.end(), kv.begin(), kv.end());
        break;
      }
      case Op::APPEND:
      case Op::APPENDS: {
        const std::vector<Value> items = op == 'a' ? pop_n(1) : pop_mark();
        Seq* list = as_seq(top(), SeqKind::List);
        if (!list) fail(opcode_name(op) + " on a " + type_name(top()) + ", not a list");
        list->items.insert(list->items.end(), items.begin(), items.end());
        break;
      }
      case Op::BINPERSID: push(persistent_load(pop())); break;
      default: fail("unsupported pickle opcode " + opcode_name(op));
    }
  }
}

void Unpickler::memo_put(std::uint64_t index) {
  if (memo_.size() >= kMaxMemo && !memo_.count(index))
    fail("memo larger than " + std::to_string(kMaxMemo) + " entries");
  memo_[index] = top();
}

Value Unpickler::memo_get(std::uint64_t index) {
  const auto it = memo_.find(index);
  if (it == memo_.end()) fail("memo index " + std::to_string(index) + " was never stored");
  return it->second;
}

std::int64_t Unpickler::read_long1() {
  const auto n = static_cast<int>(uint_le(1));
  if (n > 8) fail("LONG1 of " + std::to_string(n) + " bytes does not fit in 64 bits");
  std::uint64_t v = uint_le(n);
  if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~std::uint64_t{0} << (8 * n);  // sign
  std::int64_t out;
  std::memcpy(&out, &v, sizeof out);
  return out;
}

double Unpickler::read_binfloat() {
  const std::string_view b = take(8);
  std::uint64_t bits = 0;
  for (char c : b) bits = (bits << 8) | static_cast<std::uint8_t>(c);  // big-endian
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

const Global* Unpickler::read_global() {
  const std::string_view module = line();
  const std::string_view name = line();
  for (const Global& g : kAllowedGlobals)
    if (module == g.module && name == g.name) return &g;
  const std::string full = printable(module) + "." + printable(name);
  if (module == "torch" && ends_with(name, "Storage"))
    fail("unsupported storage type " + full +
         " (dubkit reads Float, Half, BFloat16 and Long storages)");
  fail("forbidden global '" + full + "' (only OrderedDict and torch tensor rebuilding are "
       "allowed; nothing in the file is ever executed)");
}

Seq& Unpickler::dict_on_top(const char* op) {
  Seq* d = as_seq(top(), SeqKind::Dict);
  if (!d) fail(std::string(op) + " on a " + type_name(top()) + ", not a dict");
  return *d;
}

std::int64_t Unpickler::as_int(const Value& v, const char* what) {
  const auto* i = std::get_if<std::int64_t>(&v);
  if (!i) fail(std::string(what) + " is a " + type_name(v) + ", not an int");
  return *i;
}

const Seq* Unpickler::int_tuple(const Value& v, const char* what) {
  const Seq* t = as_seq(v, SeqKind::Tuple);
  if (!t) fail(std::string(what) + " is a " + type_name(v) + ", not a tuple");
  if (t->items.size() > kMaxRank) fail(std::string(what) + " has more than 64 dims");
  for (const Value& item : t->items) as_int(item, what);
  return t;
}

Value Unpickler::call(const Value& fn, const Value& args) {
  const Global* const* g = std::get_if<const Global*>(&fn);
  if (!g) fail(std::string("REDUCE on a ") + type_name(fn) + ", not a global");
  const Seq* a = as_seq(args, SeqKind::Tuple);
  if (!a) fail(std::string("REDUCE arguments are a ") + type_name(args) + ", not a tuple");
  const std::size_t n = a->items.size();
  switch ((*g)->kind) {
    case Callable::OrderedDict: {
      if (n == 0) return make_seq(SeqKind::Dict);
      // Python 2.7 pickles an OrderedDict as OrderedDict([[key, value], ...]).
      const Seq* pairs = n == 1 ? as_seq(a->items[0], SeqKind::List) : nullptr;
      if (!pairs) fail("OrderedDict called with arguments other than a list of pairs");
      Seq* dict = make_seq(SeqKind::Dict);
      for (const Value& item : pairs->items) {
        const Seq* kv = as_seq(item, SeqKind::List);
        if (!kv) kv = as_seq(item, SeqKind::Tuple);
        if (!kv || kv->items.size() != 2)
          fail("an item of OrderedDict's argument is a " + std::string(type_name(item)) +
               (kv ? " of " + std::to_string(kv->items.size()) : std::string()) + ", not a pair");
        dict->items.insert(dict->items.end(), kv->items.begin(), kv->items.end());
      }
      return dict;
    }
    case Callable::RebuildTensor:
      if (n != 4) fail("_rebuild_tensor takes 4 arguments, got " + std::to_string(n));
      return rebuild_tensor(a->items);
    case Callable::RebuildTensorV2:  // the 7th argument, metadata, only matters to autograd
      if (n != 6 && n != 7)
        fail("_rebuild_tensor_v2 takes 6 or 7 arguments, got " + std::to_string(n));
      return rebuild_tensor(a->items);
    case Callable::RebuildParameter:
      if (n != 3 || !std::holds_alternative<TensorView*>(a->items[0]))
        fail("_rebuild_parameter takes (tensor, requires_grad, hooks)");
      return a->items[0];
    case Callable::Storage: break;
  }
  fail(std::string("REDUCE on torch.") + (*g)->name + ", which torch.save never emits");
}

// args: (storage, storage_offset, size, stride, ...). Every element the view can reach must lie
// inside the storage, so materialising it later cannot read out of bounds.
TensorView* Unpickler::rebuild_tensor(const std::vector<Value>& args) {
  Storage* const* storage = std::get_if<Storage*>(&args[0]);
  if (!storage) fail(std::string("tensor storage is a ") + type_name(args[0]) + ", not a storage");
  const TensorView t{*storage, as_int(args[1], "storage_offset"),
                     int_tuple(args[2], "tensor size"), int_tuple(args[3], "tensor stride")};
  const std::vector<std::int64_t> shape = checked_ints(*t.size), strides = checked_ints(*t.stride);
  const std::string what = "tensor of shape " + shape_string(shape) + " on " + t.storage->name;
  if (shape.size() != strides.size()) fail(what + ": size and stride differ in length");
  const std::int64_t numel = checked_numel(shape, source_ + ": " + what);
  const std::int64_t limit = t.storage->numel;
  bool inside = t.offset >= 0 && t.offset <= limit && (numel == 0 || t.offset < limit);
  std::int64_t last = t.offset;  // the highest element index the view reaches
  for (std::size_t d = 0; inside && numel > 0 && d < shape.size(); ++d) {
    const std::int64_t span = shape[d] - 1, stride = strides[d];
    inside = stride >= 0 && (stride == 0 || span <= (limit - 1 - last) / stride);
    if (inside) last += span * stride;
  }
  if (!inside)
    fail(what + ": offset " + std::to_string(t.offset) + " and stride " + shape_string(strides) +
         " reach outside the storage's " + std::to_string(limit) + " elements");
  return make(tensors_, t);
}

// pid: ('storage', storage type, key, location, numel), and in a legacy file a sixth element,
// view_metadata, which torch.save has written as None since storages stopped having views.
Storage* Unpickler::persistent_load(const Value& pid) {
  if (!storages_) fail("persistent id outside the pickle of the saved object");
  const std::size_t arity = storages_->persistent_id_size();
  const Seq* t = as_seq(pid, SeqKind::Tuple);
  const auto* tag = t && t->items.size() == arity ? std::get_if<const std::string*>(&t->items[0])
                                                  : nullptr;
  if (!tag || **tag != "storage")
    fail(arity == 5 ? "persistent id is not ('storage', type, key, location, numel)"
                    : "persistent id is not ('storage', type, key, location, numel, view_metadata)");
  const Global* const* type = std::get_if<const Global*>(&t->items[1]);
  const auto* key = std::get_if<const std::string*>(&t->items[2]);
  if (!type || (*type)->kind != Callable::Storage || !key)
    fail("persistent id has no storage type or no string key");
  if (arity == 6 && !std::holds_alternative<std::monostate>(t->items[5]))
    fail("storage " + printable(**key) + " is a view of another storage (view_metadata is a " +
         type_name(t->items[5]) + "), which dubkit does not read");
  const DType dtype = (*type)->dtype;
  const std::int64_t numel = as_int(t->items[4], "storage numel");
  if (auto it = storage_by_key_.find(**key); it != storage_by_key_.end()) {
    if (it->second->dtype != dtype || it->second->numel != numel)
      fail(it->second->name + " is declared twice with different types or sizes");
    return it->second;
  }
  const std::uint64_t elem = dtype_size(dtype);
  if (numel < 0 || static_cast<std::uint64_t>(numel) > kMaxEntryBytes / elem)
    fail("storage " + printable(**key) + " declares " + std::to_string(numel) + " " +
         dtype_name(dtype) + " elements");
  Storage* s = make(storages_pool_, Storage{dtype, numel, {}, 0, {}, nullptr});
  if (const std::string problem = storages_->declare(**key, *s); !problem.empty()) fail(problem);
  storage_bytes_ += static_cast<std::uint64_t>(numel) * elem;
  storage_by_key_.emplace(**key, s);
  return s;
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

// ------------------------------------------------------------------------------ state dict

HostTensor materialize(StorageSource& storages, const TensorView& t) {
  Storage& s = *t.storage;
  const std::byte* bytes = storages.bytes(s);
  HostTensor out;
  out.dtype = s.dtype;
  out.shape = checked_ints(*t.size);
  const std::vector<std::int64_t> stride = checked_ints(*t.stride);
  const std::size_t elem = dtype_size(s.dtype);
  const auto n = static_cast<std::size_t>(out.numel());
  out.data.resize(n * elem);
  std::vector<std::int64_t> index(out.shape.size(), 0);
  std::int64_t src = t.offset;
  // Walks the view in row-major order like an odometer; rebuild_tensor bounded every index.
  for (std::size_t i = 0; i < n; ++i) {
    std::memcpy(out.data.data() + i * elem, bytes + src * elem, elem);
    for (std::size_t d = out.shape.size(); d-- > 0;) {
      src += stride[d];
      if (++index[d] < out.shape[d]) break;
      src -= stride[d] * out.shape[d];
      index[d] = 0;
    }
  }
  return out;
}

const Value* dict_get(const Seq& dict, std::string_view key) {
  for (std::size_t i = 0; i + 1 < dict.items.size(); i += 2) {
    const auto* k = std::get_if<const std::string*>(&dict.items[i]);
    if (k && **k == key) return &dict.items[i + 1];
  }
  return nullptr;
}

TensorDict extract_state_dict(const std::string& source, StorageSource& storages, const Value& root,
                              std::uint64_t storage_bytes) {
  const Seq* state = as_seq(root, SeqKind::Dict);
  if (!state) fail(source, std::string("the pickled object is a ") + type_name(root) + ", not a dict");
  for (const char* key : kNestedKeys) {
    if (const Value* nested = dict_get(*state, key)) {
      state = as_seq(*nested, SeqKind::Dict);
      if (!state)
        fail(source, std::string("'") + key + "' is a " + type_name(*nested) + ", not a dict");
      break;
    }
  }
  const std::uint64_t budget = kViewExpansion * storage_bytes + kViewSlackBytes;
  std::uint64_t total = 0;
  TensorDict out;
  for (std::size_t i = 0; i + 1 < state->items.size(); i += 2) {
    const auto* tensor = std::get_if<TensorView*>(&state->items[i + 1]);
    if (!tensor) continue;  // step counters, hyper-parameters, nested dicts
    const auto* key = std::get_if<const std::string*>(&state->items[i]);
    if (!key) fail(source, "a tensor's state-dict key is not a string");
    std::string name = **key;
    if (name.rfind("module.", 0) == 0) name.erase(0, std::strlen("module."));
    if (out.find(name)) fail(source, "duplicate tensor name '" + printable(name) + "'");
    const std::uint64_t numel = static_cast<std::uint64_t>(
        checked_numel(checked_ints(*(*tensor)->size), source + ": " + printable(name)));
    total += numel * dtype_size((*tensor)->storage->dtype);
    if (total > budget)
      fail(source, "tensor views would expand " + std::to_string(storage_bytes) +
                   " bytes of storage into more than " + std::to_string(budget) + " bytes");
    out.add(std::move(name), materialize(storages, **tensor));
  }
  if (out.size() == 0) fail(source, "holds no tensors in its state dict");
  return out;
}

TensorDict finish(TensorDict tensors, const std::string& source, const CheckpointOptions& opts) {
  if (opts.fold_weight_norm) {
    try {
      fold_weight_norm(tensors);
    } catch (const FormatError& e) {
      fail(source, e.what());
    }
  }
  return tensors;
}

TensorDict load_archive(Archive ar, const CheckpointOptions& opts) {
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
  return finish(extract_state_dict(ar.source, storages, root, unpickler.storage_bytes()), ar.source,
                opts);
}

// --------------------------------------------------------------------------- legacy format
//
// torch.save before PyTorch 1.6, and with _use_new_zipfile_serialization=False since
// (torch/serialization.py, _legacy_save and _legacy_load): five pickles back to back,
//   1. the magic number 0x1950a86a20f9469cfc6c (a LONG1),
//   2. the format's protocol version, 1001,
//   3. sys_info, a dict whose 'little_endian' says the byte order of the storages,
//   4. the saved object, whose persistent ids are
//      ('storage', storage type, key, location, numel, view_metadata),
//   5. the list of storage keys in the order their bytes follow,
// then, for each key of that list, its element count (int64 little-endian) and the raw elements.
// The pickles' byte offsets are the file's, so messages give those. The tar-based format of the
// first PyTorch releases (legacy_load's tarfile branch) is not read.

constexpr unsigned char kLegacyMagic[] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
constexpr std::int64_t kLegacyProtocolVersion = 1001;

// Bytes from the start of `head` through the magic number: PROTO 2..5, the FRAME protocol 4+
// may open, LONG1 of the 10-byte magic. 0 when `head` does not start that way.
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

TensorDict load_legacy(std::string_view file, const std::string& source, const CheckpointOptions& opts) {
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
  return finish(extract_state_dict(source, storages, root, object_pickle.storage_bytes()), source, opts);
}

// ------------------------------------------------------------------------------ weight norm

// g must be [v.shape[0], 1, 1, ...], both floating point.
void check_weight_norm_pair(const std::string& g_name, const HostTensor& g, const HostTensor& v) {
  bool ok = !v.shape.empty() && g.shape.size() == v.shape.size() && g.shape[0] == v.shape[0] &&
            g.dtype != DType::I64 && v.dtype != DType::I64;
  for (std::size_t d = 1; ok && d < g.shape.size(); ++d) ok = g.shape[d] == 1;
  if (!ok)
    throw FormatError("weight norm: '" + g_name + "' " + dtype_name(g.dtype) +
                      shape_string(g.shape) + " does not match its _v " + dtype_name(v.dtype) +
                      shape_string(v.shape));
}

// w = g * v / ||v||, the norm over every dim but 0, accumulated in double.
HostTensor fold_pair(const HostTensor& g, const HostTensor& v) {
  const std::vector<float> gf = g.to_float(), vf = v.to_float();
  const auto rows = static_cast<std::size_t>(v.shape[0]);
  const std::size_t cols = rows ? vf.size() / rows : 0;
  std::vector<float> w(vf.size());
  for (std::size_t r = 0; r < rows; ++r) {
    double sum = 0;
    for (std::size_t c = 0; c < cols; ++c) sum += double(vf[r * cols + c]) * vf[r * cols + c];
    const double norm = std::sqrt(sum);
    for (std::size_t c = 0; c < cols; ++c)
      w[r * cols + c] = static_cast<float>(double(gf[r]) * vf[r * cols + c] / norm);
  }
  return HostTensor::from_float(v.shape, w);
}

}  // namespace

void fold_weight_norm(TensorDict& tensors) {
  // Everything is checked before anything is moved, so a FormatError leaves `tensors` intact.
  for (const auto& [name, t] : tensors.items()) {
    const bool is_g = ends_with(name, "weight_g");
    if (!is_g && !ends_with(name, "weight_v")) continue;
    const std::string base = name.substr(0, name.size() - 2);
    const std::string partner = base + (is_g ? "_v" : "_g");
    const HostTensor* other = tensors.find(partner);
    if (!other) throw FormatError("weight norm: '" + name + "' has no '" + partner + "'");
    if (tensors.find(base))
      throw FormatError("weight norm: both '" + base + "' and '" + name + "' are present");
    if (is_g) check_weight_norm_pair(name, t, *other);
  }
  TensorDict folded;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const std::string& name = tensors.items()[i].first;
    if (ends_with(name, "weight_v")) continue;
    if (ends_with(name, "weight_g")) {
      const std::string base = name.substr(0, name.size() - 2);
      folded.add(base, fold_pair(tensors.items()[i].second, *tensors.find(base + "_v")));
    } else {
      folded.add(name, std::move(tensors.tensor(i)));
    }
  }
  tensors = std::move(folded);
}

TensorDict load_torch_checkpoint(const std::string& path, const CheckpointOptions& opts) {
  std::error_code ec;
  const std::uintmax_t bytes = std::filesystem::file_size(path, ec);
  if (ec) throw IoError(path + ": cannot read: " + ec.message());
  if (bytes == 0) throw FormatError(path + ": empty file, not a torch.save checkpoint");
  char head[32] = {};
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path + ": cannot read: cannot open");
  in.read(head, sizeof head);
  if (legacy_magic_length(std::string_view(head, static_cast<std::size_t>(in.gcount()))) > 0) {
    // A legacy file's storages follow its pickles, so it is read whole.
    if (bytes > kMaxEntryBytes)
      throw FormatError(path + ": " + std::to_string(bytes) + " bytes, more than the 4 GiB limit");
    std::string file(static_cast<std::size_t>(bytes), '\0');
    in.clear();  // a file shorter than `head` left eof set
    in.seekg(0);
    if (!in.read(file.data(), static_cast<std::streamsize>(file.size())))
      throw IoError(path + ": cannot read all of its " + std::to_string(bytes) + " bytes");
    return load_legacy(file, path, opts);
  }
  in.close();
  int code = 0;
  ZipPtr zip(zip_open(path.c_str(), ZIP_RDONLY, &code));
  if (!zip) {
    char magic[4] = {};
    std::ifstream(path, std::ios::binary).read(magic, sizeof magic);
    ZipError err(code);
    open_failed(err, path, std::memcmp(magic, "PK\3\4", 4) == 0, true);
  }
  return load_archive(Archive{std::move(zip), path, bytes, {}}, opts);
}

TensorDict load_torch_checkpoint_from_memory(const void* data, std::size_t size,
                                             const std::string& source,
                                             const CheckpointOptions& opts) {
  if (size == 0) throw FormatError(source + ": empty, not a torch.save checkpoint");
  const std::string_view bytes(static_cast<const char*>(data), size);
  if (legacy_magic_length(bytes) > 0) return load_legacy(bytes, source, opts);
  ZipError err;
  ZipSourcePtr src(zip_source_buffer_create(data, size, 0, err.get()));
  if (!src) throw IoError(source + ": " + zip_error_strerror(err.get()));
  ZipPtr zip(zip_open_from_source(src.get(), ZIP_RDONLY, err.get()));
  if (!zip) open_failed(err, source, size >= 4 && std::memcmp(data, "PK\3\4", 4) == 0, false);
  src.release();  // the archive owns its source once opened
  return load_archive(Archive{std::move(zip), source, size, {}}, opts);
}

bool looks_like_torch_checkpoint(const void* head, std::size_t size) {
  const std::string_view h(static_cast<const char*>(head), size);
  return h.substr(0, 4) == std::string_view("PK\3\4", 4) || legacy_magic_length(h) > 0;
}

}  // namespace dubkit
