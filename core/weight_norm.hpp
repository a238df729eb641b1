// Weight-norm folding: a model transform, not part of reading a file. Checkpoints of models
// trained with torch.nn.utils.weight_norm (HiFi-GAN's public ones) store each weight as a
// magnitude `X.weight_g` and a direction `X.weight_v`; inference needs only `X.weight`.
#pragma once

#include "core/tensor.hpp"

namespace dubkit {

// Replaces each `X.weight_g` / `X.weight_v` pair by `X.weight = g * v / ||v||`, the norm taken
// over every dim but 0 (weight_norm's default dim=0), in place and in the pair's `_g` position;
// other tensors keep their order. Throws FormatError when a pair is incomplete, `X.weight`
// already exists or the shapes disagree, leaving `tensors` as it was.
void fold_weight_norm(TensorDict& tensors);

}  // namespace dubkit
