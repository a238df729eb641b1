// Running the dubkit binary from the end-to-end tests.
#pragma once

#include <string>
#include <vector>

namespace dubkit::test {

struct Result {
  int code;  // exit status; -1 when killed (the time limit)
  std::string out, err;
};

// Runs the dubkit binary with `args` (each quoted), with a time limit so a hang fails instead
// of blocking. The outputs are kept under a temp dir and logged as Catch2 info.
Result run_dubkit(const std::vector<std::string>& args, int timeout_s = 120, const std::string& stdin_path = "/dev/null");

// File names in `dir`.
std::vector<std::string> entries(const std::string& dir);

}  // namespace dubkit::test
