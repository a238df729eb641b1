// Internal to the checkpoint reader (core/checkpoint.hpp, which describes both formats):
// torch.save's two containers, each handing its pickle to the Unpickler
// (core/checkpoint_pickle.hpp) and its storages' bytes to the state dict. They return the
// state dict as stored; core/checkpoint.cpp applies CheckpointOptions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/tensor.hpp"

namespace dubkit::torch_save {

// Bytes from the start of `head` through the legacy format's magic number: PROTO 2..5, the
// FRAME protocol 4+ may open, LONG1 of the 10-byte magic. 0 when `head` does not start that way.
std::size_t legacy_magic_length(std::string_view head);

// A legacy-format file, whole in memory (its storages follow its pickles). Throws FormatError
// naming `source` and the byte offset.
TensorDict load_legacy(std::string_view file, const std::string& source);

// The zip-format checkpoint at `path`, `bytes` long. Throws IoError when it cannot be read,
// FormatError when it is not a well-formed torch.save archive.
TensorDict load_zip_file(const std::string& path, std::uint64_t bytes);

// The same on `size` bytes in memory, named `source` in messages.
TensorDict load_zip_memory(const void* data, std::size_t size, const std::string& source);

}  // namespace dubkit::torch_save
