// The state dict inside an unpickled torch.save object, copied out of its storages.
#include <cstring>
#include <string>
#include <vector>

#include "core/checkpoint_pickle.hpp"

namespace dubkit::torch_save {
namespace {

// Overlapping views (tied weights, expand()) legitimately materialise more bytes than their
// storages hold, but a few stride-0 bytes must not be able to demand gigabytes.
constexpr std::uint64_t kViewExpansion = 4;
constexpr std::uint64_t kViewSlackBytes = std::uint64_t{256} << 20;
// Where a state dict is nested in a training checkpoint, in the order they are tried.
constexpr const char* kNestedKeys[] = {"generator", "model_state", "state_dict", "model"};

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

}  // namespace

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

}  // namespace dubkit::torch_save
