// Host tensors <-> LibTorch, and loading weights into modules by name. Only targets that run
// models include this (dubkit::core_torch); the rest of core stays free of LibTorch.
#pragma once

#include <torch/torch.h>

#include <string>

#include "core/tensor.hpp"

namespace dubkit {

// A float32 (F16/BF16 widened) or int64 copy of `t`, owning its memory.
torch::Tensor to_torch(const HostTensor& t);

// A host copy of `t` (float tensors stored as `dtype`: F32, F16 or BF16; int64 as I64).
HostTensor to_host(const torch::Tensor& t, DType dtype = DType::F32);

// Every parameter and buffer of `module` by its name, in registration order.
TensorDict module_weights(const torch::nn::Module& module, DType dtype = DType::F32);

// Copies every parameter and buffer of `module` from `weights`, matched by the module's own
// names (which follow the public PyTorch state-dict keys). Throws FormatError naming `source`
// when a tensor is missing, has the wrong shape (expected vs found), or when `weights` holds
// tensors the module does not have.
void load_weights(torch::nn::Module& module, const TensorDict& weights, const std::string& source);

}  // namespace dubkit
