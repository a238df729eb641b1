// Reader for PyTorch checkpoints (`torch.save`, .pt/.pth/.model) without Python, in both of
// torch.save's formats, told apart by content:
//   zip     the default since PyTorch 1.6: <name>/data.pkl and one <name>/data/<key> entry per
//           storage (libzip);
//   legacy  older files and `_use_new_zipfile_serialization=False`: a few pickles back to back
//           (magic number, format version 1001, sys_info, the object, the storage keys), then
//           each storage as an int64 element count and its raw little-endian elements. Files
//           pickled by Python 2 (str keys as byte strings, OrderedDicts rebuilt from a list of
//           pairs) are read too; the tar-based format of the first PyTorch releases is not.
//
// Debian's LibTorch 1.13 `torch::pickle_load` rejects real state dicts ("Expected GenericDict
// but got None" on an OrderedDict), so this is a small strict reader of both containers and of
// the pickle subset torch.save emits for state dicts. Any opcode or global outside that subset
// is a FormatError naming it: nothing from the file is ever executed. Every count and size is
// checked against the bytes that really are there before anything is allocated or read.
//
// The reader is split by role: core/checkpoint_pickle.* (the unpickler),
// core/checkpoint_state_dict.cpp (the state dict in what it built), core/checkpoint_zip.cpp and
// core/checkpoint_legacy.cpp (the two containers).
//
// Thread safety: the functions are reentrant; they share no state.
#pragma once

#include <cstddef>
#include <string>

#include "core/tensor.hpp"

namespace dubkit {

struct CheckpointOptions {
  // Fold each `X.weight_g` / `X.weight_v` pair into `X.weight` (core/weight_norm.hpp) once
  // the tensors are read.
  bool fold_weight_norm = false;
};

// Loads the tensors of a checkpoint. The state dict may be the top-level object or nested
// under "generator", "model_state", "state_dict" or "model"; a leading "module." (from
// DataParallel) is stripped from every name. Non-tensor entries (step counters, optimizer
// hyper-parameters) are skipped. Names keep state-dict order.
// Throws IoError when the file cannot be read, FormatError naming `path` (and, for a legacy
// file, the byte offset) when it is not a well-formed torch.save file of either format, uses
// pickle features outside the supported subset, or has bytes after its last storage.
TensorDict load_torch_checkpoint(const std::string& path, const CheckpointOptions& opts = {});

// The same on bytes already in memory; `source` names them in error messages. Used by the
// fuzz target.
TensorDict load_torch_checkpoint_from_memory(const void* data, std::size_t size,
                                             const std::string& source,
                                             const CheckpointOptions& opts = {});

// True when `head`, the first bytes of a file (32 suffice), start like a torch.save
// checkpoint of either format. load_weight_file tells checkpoints from safetensors with it.
bool looks_like_torch_checkpoint(const void* head, std::size_t size);

}  // namespace dubkit
