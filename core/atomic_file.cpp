#include "core/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "core/error.hpp"

namespace fs = std::filesystem;

namespace dubkit {

namespace {
fs::path directory_of(const fs::path& p) { return p.has_parent_path() ? p.parent_path() : fs::path("."); }
}  // namespace

void check_output_path(const std::string& output, const std::vector<std::string>& inputs) {
  if (output.empty()) throw InvalidArgument("empty output path");
  for (const std::string& in : inputs) {
    std::error_code ec;
    if (output == in || fs::equivalent(output, in, ec))
      throw InvalidArgument("output '" + output + "' is also an input; refusing to overwrite it");
  }
  const fs::path dir = directory_of(output);
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw IoError("cannot write '" + output + "': directory '" + dir.string() + "' does not exist");
}

AtomicOutput::AtomicOutput(std::string path, const std::vector<std::string>& inputs)
    : path_(std::move(path)) {
  check_output_path(path_, inputs);
  const fs::path p(path_);
  const fs::path dir = directory_of(p);
  // The pid keeps concurrent writers of the same destination apart.
  temp_ = (dir / ("." + p.stem().string() + ".tmp" + std::to_string(::getpid()) +
                  p.extension().string()))
              .string();
}

AtomicOutput::~AtomicOutput() {
  if (!committed_) std::remove(temp_.c_str());
}

namespace {
// Flushes a file or directory to the disk, so a crash of the machine (not only of the
// process) cannot leave a renamed but empty file.
void sync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) throw IoError("cannot open '" + path + "' to sync it");
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw IoError("cannot sync '" + path + "' to disk");
}
}  // namespace

void AtomicOutput::commit() {
  sync_path(temp_, O_RDONLY);
  std::error_code ec;
  fs::rename(temp_, path_, ec);
  if (ec) throw IoError("cannot move '" + temp_ + "' to '" + path_ + "': " + ec.message());
  committed_ = true;
  sync_path(directory_of(path_).string(), O_RDONLY | O_DIRECTORY);
}

void write_file_atomic(const std::string& path, const std::string& content) {
  AtomicOutput out(path);
  {
    std::ofstream f(out.temp_path(), std::ios::binary);
    f << content;
    f.flush();
    if (!f) throw IoError("cannot write '" + path + "'");
  }
  out.commit();
}

}  // namespace dubkit
