// Outputs that appear whole or not at all. Every command writes through this: the data goes
// to a temporary name in the destination's directory, which is renamed over the destination
// only on commit(); an exception or early return leaves no partial file behind.
#pragma once

#include <string>
#include <vector>

namespace dubkit {

class AtomicOutput {
 public:
  // Throws InvalidArgument when `path` is one of `inputs` (same file, also through links).
  explicit AtomicOutput(std::string path, const std::vector<std::string>& inputs = {});
  ~AtomicOutput();  // removes the temporary file unless committed
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  // Where to write; keeps the destination's extension, so format-by-extension libraries work.
  const std::string& temp_path() const { return temp_; }
  const std::string& path() const { return path_; }
  // Renames the temporary file onto the destination. Throws IoError.
  void commit();

 private:
  std::string path_;
  std::string temp_;
  bool committed_ = false;
};

// Checks an output path before work starts: throws InvalidArgument when it is empty or names
// the same file as one of `inputs`, IoError when its directory does not exist.
void check_output_path(const std::string& output, const std::vector<std::string>& inputs = {});

// Writes `content` to `path` through an AtomicOutput. Throws IoError.
void write_file_atomic(const std::string& path, const std::string& content);

}  // namespace dubkit
