#include "core/checkpoint_pickle.hpp"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <utility>

#include "core/error.hpp"

namespace dubkit::torch_save {
namespace {

// Limits far above any real checkpoint; they only keep hostile input from exhausting memory.
constexpr std::size_t kMaxStack = std::size_t{1} << 20;
constexpr std::size_t kMaxMemo = std::size_t{1} << 20;
constexpr std::size_t kMaxObjects = std::size_t{1} << 22;
constexpr std::size_t kMaxRank = 64;

// Everything a GLOBAL may name. DoubleStorage and IntStorage are refused rather than converted:
// TensorDict has no F64/I32, and a silent conversion would hide that the file is unusual.
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

}  // namespace

void fail(const std::string& source, const std::string& what) {
  throw FormatError(source + ": " + what);
}

std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 80)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return s.size() > 80 ? out + "..." : out;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

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

const Value* dict_get(const Seq& dict, std::string_view key) {
  for (std::size_t i = 0; i + 1 < dict.items.size(); i += 2) {
    const auto* k = std::get_if<const std::string*>(&dict.items[i]);
    if (k && **k == key) return &dict.items[i + 1];
  }
  return nullptr;
}

// ------------------------------------------------------------------------------- unpickler

Unpickler::Unpickler(const std::string& source, std::string where, std::string_view in, std::size_t start,
                     StorageSource* storages)
    : source_(source), where_(std::move(where)), in_(in), pos_(start), storages_(storages) {}

void Unpickler::fail(const std::string& what) const {
  torch_save::fail(source_, where_ + "byte " + std::to_string(op_pos_) + ": " + what);
}

std::string_view Unpickler::take(std::uint64_t n) {
  if (n > in_.size() - pos_)
    fail("truncated in " + opcode_name(static_cast<std::uint8_t>(in_[op_pos_])) + " (needs " +
         std::to_string(n) + " bytes, " + std::to_string(in_.size() - pos_) + " left)");
  const std::string_view s = in_.substr(pos_, n);
  pos_ += n;
  return s;
}

std::uint64_t Unpickler::uint_le(int n) {
  const std::string_view b = take(n);
  std::uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<std::uint8_t>(b[i]);
  return v;
}

std::string_view Unpickler::line() {
  const std::size_t end = in_.find('\n', pos_);
  if (end == std::string_view::npos) fail("truncated in GLOBAL (no newline)");
  const std::string_view s = in_.substr(pos_, end - pos_);
  pos_ = end + 1;
  return s;
}

// MARK starts a new frame of the stack: nothing below it may be popped until it is closed.
std::size_t Unpickler::frame_base() const { return marks_.empty() ? 0 : marks_.back(); }

void Unpickler::push(Value v) {
  if (stack_.size() >= kMaxStack) fail("stack deeper than " + std::to_string(kMaxStack));
  stack_.push_back(v);
}

Value& Unpickler::top() {
  if (stack_.size() <= frame_base()) fail("stack underflow");
  return stack_.back();
}

Value Unpickler::pop() {
  Value v = top();
  stack_.pop_back();
  return v;
}

std::vector<Value> Unpickler::pop_n(std::size_t n) {
  if (stack_.size() < frame_base() + n) fail("stack underflow");
  std::vector<Value> items(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
  stack_.resize(stack_.size() - n);
  return items;
}

std::vector<Value> Unpickler::pop_mark() {
  if (marks_.empty()) fail("no MARK to pop to");
  const std::size_t base = marks_.back();
  marks_.pop_back();
  std::vector<Value> items(stack_.begin() + static_cast<std::ptrdiff_t>(base), stack_.end());
  stack_.resize(base);
  return items;
}

template <class T>
T* Unpickler::make(std::deque<T>& pool, T value) {
  if (++objects_ > kMaxObjects) fail("more than " + std::to_string(kMaxObjects) + " objects");
  pool.push_back(std::move(value));
  return &pool.back();
}

Seq* Unpickler::make_seq(SeqKind kind, std::vector<Value> items) {
  return make(seqs_, Seq{kind, std::move(items)});
}

const std::string* Unpickler::make_str(std::string_view s) { return make(strings_, std::string(s)); }

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

}  // namespace dubkit::torch_save
