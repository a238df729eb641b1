// Reader for PyTorch checkpoints (`torch.save` zip format, .pt/.pth) without Python.
//
// Debian's LibTorch 1.13 `torch::pickle_load` rejects real state dicts ("Expected GenericDict
// but got None" on an OrderedDict), so this is a small strict reader of the zip container
// (libzip) and of the pickle subset torch.save emits for state dicts. Any opcode or global
// outside that subset is a FormatError naming it: nothing from the file is ever executed.
//
// Thread safety: the functions are reentrant; they share no state.
#pragma once

#include <cstddef>
#include <string>

#include "core/tensor.hpp"

namespace dubkit {

struct CheckpointOptions {
  // Replace each `X.weight_g` / `X.weight_v` pair by `X.weight = g * v / ||v||`, the norm
  // taken over every dim but 0 (torch.nn.utils.weight_norm with its default dim=0).
  bool fold_weight_norm = false;
};

// Loads the tensors of a checkpoint. The state dict may be the top-level object or nested
// under "generator", "model_state", "state_dict" or "model"; a leading "module." (from
// DataParallel) is stripped from every name. Non-tensor entries (step counters, optimizer
// hyper-parameters) are skipped. Names keep state-dict order.
// Throws IoError when the file cannot be read, FormatError naming `path` when it is not a
// well-formed torch.save zip or uses pickle features outside the supported subset.
TensorDict load_torch_checkpoint(const std::string& path, const CheckpointOptions& opts = {});

// The same on bytes already in memory; `source` names them in error messages. Used by the
// fuzz target.
TensorDict load_torch_checkpoint_from_memory(const void* data, std::size_t size,
                                             const std::string& source,
                                             const CheckpointOptions& opts = {});

// Folds weight-norm pairs in place (see CheckpointOptions::fold_weight_norm). Throws
// FormatError when a pair is incomplete or the shapes disagree.
void fold_weight_norm(TensorDict& tensors);

}  // namespace dubkit
