// UTF-8 validity: text from files and file names goes into JSON (manifests, reports), which
// holds only valid UTF-8.
#pragma once

#include <cstddef>
#include <string>

namespace dubkit {

// Byte offset of the first byte that is not part of valid UTF-8 (overlong forms, surrogates and
// code points past U+10FFFF are invalid), or std::string::npos.
std::size_t first_invalid_utf8(const std::string& s);

// `s` with every byte that is not part of valid UTF-8 replaced by U+FFFD: for names that are
// shown, not opened (a manifest's ingredient titles, a profile's enrollment file names).
std::string to_valid_utf8(const std::string& s);

}  // namespace dubkit
