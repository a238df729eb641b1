// Any weight file dubkit reads, told apart by content: a torch.save checkpoint (zip or legacy
// format) or safetensors.
#pragma once

#include <map>
#include <string>

#include "core/checkpoint.hpp"
#include "core/tensor.hpp"

namespace dubkit {

// Throws IoError when the file cannot be opened, FormatError when it is neither format or
// is malformed. `opts.fold_weight_norm` applies to both formats.
TensorDict load_weight_file(const std::string& path, const CheckpointOptions& opts = {});

// A safetensors file's "__metadata__" (dubkit keeps configs and calibrations there); empty for
// a torch.save checkpoint, which has none.
std::map<std::string, std::string> load_weight_metadata(const std::string& path);

}  // namespace dubkit
