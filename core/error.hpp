// The one exception hierarchy of the dubkit library. The library throws, never exits; only
// tools/ turns these into exit codes. Messages name the file, flag or value that is wrong.
#pragma once

#include <stdexcept>
#include <string>

namespace dubkit {

// Base of everything dubkit throws on purpose.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The caller asked for something invalid: a bad option value, a mismatched preset, an output
// path equal to an input. Fix the request, not the file.
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

// A file or buffer is malformed, truncated, hostile or of the wrong kind.
class FormatError : public Error {
 public:
  using Error::Error;
};

// The operating system or a C library refused: a file cannot be opened or written, an audio
// device is missing.
class IoError : public Error {
 public:
  using Error::Error;
};

// Consent does not allow what was asked: no verified record, a record outside its scope
// (use, language, dates), revoked, or a profile or record whose signature does not hold. The
// message says which condition failed.
class ConsentRefused : public Error {
 public:
  using Error::Error;
};

}  // namespace dubkit
