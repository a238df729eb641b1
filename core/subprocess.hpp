// Running another program (apt-get, dpkg-deb) and waiting for it. Arguments are passed as a
// vector straight to the program, never through a shell, so file and package names need no
// quoting. Thread-safe: each call owns its pipe and child.
#pragma once

#include <string>
#include <vector>

namespace dubkit {

struct ProgramResult {
  int exit_code = -1;   // the program's exit status; 128 + signal number when a signal ended it
  std::string output;   // its stdout and stderr together (the last 64 KiB)
  bool ok() const { return exit_code == 0; }
};

// Runs argv[0] (looked up in PATH) with the given arguments in directory `cwd` ("" = ours),
// stdin from /dev/null. Throws InvalidArgument for an empty argv, IoError when the program
// cannot be started (named in the message); a program that runs and fails is a result, not
// an exception.
ProgramResult run_program(const std::vector<std::string>& argv, const std::string& cwd = "");

}  // namespace dubkit
