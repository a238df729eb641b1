#include "core/checkpoint.hpp"

#include <filesystem>
#include <fstream>
#include <string_view>

#include "core/checkpoint_formats.hpp"
#include "core/checkpoint_pickle.hpp"
#include "core/error.hpp"
#include "core/weight_norm.hpp"

namespace dubkit {
namespace {

TensorDict finish(TensorDict tensors, const std::string& source, const CheckpointOptions& opts) {
  if (opts.fold_weight_norm) {
    try {
      fold_weight_norm(tensors);
    } catch (const FormatError& e) {
      torch_save::fail(source, e.what());
    }
  }
  return tensors;
}

}  // namespace

TensorDict load_torch_checkpoint(const std::string& path, const CheckpointOptions& opts) {
  std::error_code ec;
  const std::uintmax_t bytes = std::filesystem::file_size(path, ec);
  if (ec) throw IoError(path + ": cannot read: " + ec.message());
  if (bytes == 0) throw FormatError(path + ": empty file, not a torch.save checkpoint");
  char head[32] = {};
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path + ": cannot read: cannot open");
  in.read(head, sizeof head);
  if (torch_save::legacy_magic_length(std::string_view(head, static_cast<std::size_t>(in.gcount()))) > 0) {
    // A legacy file's storages follow its pickles, so it is read whole.
    if (bytes > torch_save::kMaxEntryBytes)
      throw FormatError(path + ": " + std::to_string(bytes) + " bytes, more than the 4 GiB limit");
    std::string file(static_cast<std::size_t>(bytes), '\0');
    in.clear();  // a file shorter than `head` left eof set
    in.seekg(0);
    if (!in.read(file.data(), static_cast<std::streamsize>(file.size())))
      throw IoError(path + ": cannot read all of its " + std::to_string(bytes) + " bytes");
    return finish(torch_save::load_legacy(file, path), path, opts);
  }
  in.close();
  return finish(torch_save::load_zip_file(path, bytes), path, opts);
}

TensorDict load_torch_checkpoint_from_memory(const void* data, std::size_t size,
                                             const std::string& source,
                                             const CheckpointOptions& opts) {
  if (size == 0) throw FormatError(source + ": empty, not a torch.save checkpoint");
  const std::string_view bytes(static_cast<const char*>(data), size);
  if (torch_save::legacy_magic_length(bytes) > 0)
    return finish(torch_save::load_legacy(bytes, source), source, opts);
  return finish(torch_save::load_zip_memory(data, size, source), source, opts);
}

bool looks_like_torch_checkpoint(const void* head, std::size_t size) {
  const std::string_view h(static_cast<const char*>(head), size);
  return h.substr(0, 4) == std::string_view("PK\3\4", 4) || torch_save::legacy_magic_length(h) > 0;
}

}  // namespace dubkit
