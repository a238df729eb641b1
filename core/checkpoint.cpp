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

[[noreturn]] void fail(const Archive& ar, const std::string& what) {
  throw FormatError(ar.source + ": " + what);
}

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
    throw FormatError(source + ": not a zip archive; dubkit reads only the torch.save zip "
                      "format, not the legacy one");
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
  zip_uint64_t entry;
  std::string name;              // "data/<key>", for messages
  std::vector<std::byte> bytes;  // read on first use: entries outside the state dict never are
  bool loaded = false;
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
  SETITEMS = 'u', BINFLOAT = 'G', PROTO = 0x80, TUPLE1 = 0x85, TUPLE2 = 0x86, TUPLE3 = 0x87,
  NEWTRUE = 0x88, NEWFALSE = 0x89, LONG1 = 0x8a, SHORT_BINUNICODE = 0x8c, BINUNICODE8 = 0x8d,
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
  Unpickler(Archive& ar, const std::vector<std::byte>& pickle)
      : ar_(ar), in_(reinterpret_cast<const char*>(pickle.data()), pickle.size()) {}

  // Interprets data.pkl up to STOP; returns the object it built.
  Value run();
  // Sum of the byte sizes of every storage the pickle referenced.
  std::uint64_t storage_bytes() const { return storage_bytes_; }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    dubkit::fail(ar_, ar_.prefix + "/data.pkl, byte " + std::to_string(op_pos_) + ": " + what);
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

  Archive& ar_;
  std::string_view in_;
  std::size_t pos_ = 0;
  std::size_t op_pos_ = 0;  // where the current opcode starts, for messages
  std::vector<Value> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<std::uint64_t, Value> memo_;
  std::size_t objects_ = 0;
  std::deque<std::string> strings_;
  std::deque<Seq> seqs_;
  std::deque<Storage> storages_;
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
    case Callable::OrderedDict:
      if (n != 0) fail("OrderedDict called with arguments");
      return make_seq(SeqKind::Dict);
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
  const std::int64_t numel = checked_numel(shape, ar_.source + ": " + what);
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

// pid: ('storage', storage type, key, location, numel).
Storage* Unpickler::persistent_load(const Value& pid) {
  const Seq* t = as_seq(pid, SeqKind::Tuple);
  const auto* tag = t && t->items.size() == 5 ? std::get_if<const std::string*>(&t->items[0])
                                              : nullptr;
  if (!tag || **tag != "storage")
    fail("persistent id is not ('storage', type, key, location, numel)");
  const Global* const* type = std::get_if<const Global*>(&t->items[1]);
  const auto* key = std::get_if<const std::string*>(&t->items[2]);
  if (!type || (*type)->kind != Callable::Storage || !key)
    fail("persistent id has no storage type or no string key");
  const DType dtype = (*type)->dtype;
  const std::int64_t numel = as_int(t->items[4], "storage numel");
  const std::string name = "data/" + printable(**key);
  if (auto it = storage_by_key_.find(**key); it != storage_by_key_.end()) {
    if (it->second->dtype != dtype || it->second->numel != numel)
      fail(name + " is declared twice with different types or sizes");
    return it->second;
  }
  const zip_int64_t entry = locate(ar_, "data/" + **key);
  if (entry < 0) fail("storage " + name + " has no entry in the archive");
  const std::uint64_t elem = dtype_size(dtype);
  const std::uint64_t size = entry_size(ar_, static_cast<zip_uint64_t>(entry), name);
  if (numel < 0 || static_cast<std::uint64_t>(numel) > kMaxEntryBytes / elem ||
      size != static_cast<std::uint64_t>(numel) * elem)
    fail("storage " + name + " declares " + std::to_string(numel) + " " + dtype_name(dtype) +
         " elements but its entry holds " + std::to_string(size) + " bytes");
  storage_bytes_ += size;
  Storage* s = make(storages_, Storage{dtype, numel, static_cast<zip_uint64_t>(entry), name, {}});
  storage_by_key_.emplace(**key, s);
  return s;
}

// ------------------------------------------------------------------------------ state dict

HostTensor materialize(const Archive& ar, const TensorView& t) {
  Storage& s = *t.storage;
  if (!s.loaded) {
    s.bytes = read_entry(ar, s.entry, ar.prefix + "/" + s.name);
    s.loaded = true;
  }
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
    std::memcpy(out.data.data() + i * elem, s.bytes.data() + src * elem, elem);
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

TensorDict extract_state_dict(const Archive& ar, const Value& root, std::uint64_t storage_bytes) {
  const Seq* state = as_seq(root, SeqKind::Dict);
  if (!state) fail(ar, std::string("the pickled object is a ") + type_name(root) + ", not a dict");
  for (const char* key : kNestedKeys) {
    if (const Value* nested = dict_get(*state, key)) {
      state = as_seq(*nested, SeqKind::Dict);
      if (!state)
        fail(ar, std::string("'") + key + "' is a " + type_name(*nested) + ", not a dict");
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
    if (!key) fail(ar, "a tensor's state-dict key is not a string");
    std::string name = **key;
    if (name.rfind("module.", 0) == 0) name.erase(0, std::strlen("module."));
    if (out.find(name)) fail(ar, "duplicate tensor name '" + printable(name) + "'");
    const std::uint64_t numel = static_cast<std::uint64_t>(
        checked_numel(checked_ints(*(*tensor)->size), ar.source + ": " + printable(name)));
    total += numel * dtype_size((*tensor)->storage->dtype);
    if (total > budget)
      fail(ar, "tensor views would expand " + std::to_string(storage_bytes) +
                   " bytes of storage into more than " + std::to_string(budget) + " bytes");
    out.add(std::move(name), materialize(ar, **tensor));
  }
  if (out.size() == 0) fail(ar, "holds no tensors in its state dict");
  return out;
}

TensorDict load_archive(Archive ar, const CheckpointOptions& opts) {
  if (zip_get_num_entries(ar.zip.get(), 0) <= 0)
    fail(ar, "empty zip archive: not a torch.save checkpoint");
  ar.prefix = find_prefix(ar);
  check_byteorder(ar);
  const zip_int64_t pkl_entry = locate(ar, "data.pkl");
  const std::vector<std::byte> pkl =
      read_entry(ar, static_cast<zip_uint64_t>(pkl_entry), ar.prefix + "/data.pkl");
  Unpickler unpickler(ar, pkl);
  const Value root = unpickler.run();
  TensorDict tensors = extract_state_dict(ar, root, unpickler.storage_bytes());
  if (opts.fold_weight_norm) {
    try {
      fold_weight_norm(tensors);
    } catch (const FormatError& e) {
      fail(ar, e.what());
    }
  }
  return tensors;
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
  ZipError err;
  ZipSourcePtr src(zip_source_buffer_create(data, size, 0, err.get()));
  if (!src) throw IoError(source + ": " + zip_error_strerror(err.get()));
  ZipPtr zip(zip_open_from_source(src.get(), ZIP_RDONLY, err.get()));
  if (!zip) open_failed(err, source, size >= 4 && std::memcmp(data, "PK\3\4", 4) == 0, false);
  src.release();  // the archive owns its source once opened
  return load_archive(Archive{std::move(zip), source, size, {}}, opts);
}

}  // namespace dubkit
