// libFuzzer target for the torch.save reader. Every malformed input must end in a dubkit::Error;
// any other exception, crash, leak or sanitizer report is a finding.
//
// An input that starts like a torch.save file, zip or legacy format, is read as it is, which
// fuzzes the containers (and, for the legacy format, whose pickles are not checksummed, the
// pickle interpreter too). Any other input becomes the data.pkl of a small archive with fixed
// storages, which fuzzes the pickle interpreter: a mutated pickle inside a zip would nearly
// always just fail the entry's CRC.
// Seeds: the .pt fixtures (zip and legacy) and data.pkl entries; storages "0".."3" below hold
// 48, 8, 4 and 4 bytes (e.g. 12 floats, 1 long, 2 halves, 2 bfloat16).
#include <zip.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/checkpoint.hpp"
#include "core/error.hpp"

namespace {

// A failure here is a bug of the harness, not of the reader.
[[noreturn]] void harness_failed(const char* what) {
  std::fprintf(stderr, "fuzz harness: %s failed\n", what);
  std::abort();
}

void add_stored(zip_t* za, const std::string& name, const void* data, std::size_t size) {
  zip_source_t* src = zip_source_buffer(za, data, size, 0);
  if (!src) harness_failed("zip_source_buffer");
  const zip_int64_t index = zip_file_add(za, name.c_str(), src, 0);
  if (index < 0) harness_failed("zip_file_add");
  if (zip_set_file_compression(za, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0) != 0)
    harness_failed("zip_set_file_compression");
}

std::vector<std::uint8_t> wrap_pickle(const std::uint8_t* pickle, std::size_t size) {
  static const std::string storage(48, '\x3c');
  static const std::size_t storage_sizes[] = {48, 8, 4, 4};
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* buffer = zip_source_buffer_create(nullptr, 0, 0, &error);
  if (!buffer) harness_failed("zip_source_buffer_create");
  zip_source_keep(buffer);  // zip_close writes the archive into it; we read it afterwards
  zip_t* za = zip_open_from_source(buffer, ZIP_TRUNCATE, &error);
  if (!za) harness_failed("zip_open_from_source");
  add_stored(za, "f/data.pkl", pickle, size);
  for (int k = 0; k < 4; ++k)
    add_stored(za, "f/data/" + std::to_string(k), storage.data(), storage_sizes[k]);
  if (zip_close(za) != 0) harness_failed("zip_close");

  if (zip_source_open(buffer) != 0) harness_failed("zip_source_open");
  if (zip_source_seek(buffer, 0, SEEK_END) != 0) harness_failed("zip_source_seek");
  const zip_int64_t bytes = zip_source_tell(buffer);
  if (bytes <= 0 || zip_source_seek(buffer, 0, SEEK_SET) != 0) harness_failed("zip_source_tell");
  std::vector<std::uint8_t> zip(static_cast<std::size_t>(bytes));
  if (zip_source_read(buffer, zip.data(), zip.size()) != bytes) harness_failed("zip_source_read");
  zip_source_close(buffer);
  zip_source_free(buffer);
  zip_error_fini(&error);
  return zip;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint8_t> wrapped;
  if ((size < 2 || std::memcmp(data, "PK", 2) != 0) && !dubkit::looks_like_torch_checkpoint(data, size)) {
    wrapped = wrap_pickle(data, size);
    data = wrapped.data();
    size = wrapped.size();
  }
  dubkit::CheckpointOptions opts;
  opts.fold_weight_norm = size % 2 == 1;  // the size's parity, so mutations reach both paths
  try {
    dubkit::load_torch_checkpoint_from_memory(data, size, "fuzz input", opts);
  } catch (const dubkit::Error&) {
  }
  return 0;
}
