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

// samples/sample.wav: the samples' synthetic voice (flite slt).
std::string sample_wav();

// A studio as a user sets one up: a key, a trust store, a render log, and a consent record
// (dubbing and lip-sync, en and es) for the sample's synthetic voice (flite slt) whose
// statement that voice reads (made here). Made once per test binary: studio().
struct Studio {
  std::string dir, key, trust, log, consent, profile;
  Studio();
  // `args` with --key and --trust of this studio.
  std::vector<std::string> with_keys(std::vector<std::string> args) const;
};
Studio& studio();

// File names in `dir`.
std::vector<std::string> entries(const std::string& dir);

}  // namespace dubkit::test
