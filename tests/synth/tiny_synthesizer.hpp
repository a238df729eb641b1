// A tiny random-weight synthesizer for tests of the plumbing around it (speaker_dim 4, seed 5).
#pragma once

#include <set>
#include <string>
#include <vector>

namespace dubkit::test {

// Writes it to `path` with exactly `phones` as its symbols and `languages` as its languages.
void write_tiny_synthesizer(const std::string& path, const std::set<std::string>& phones,
                            const std::vector<std::string>& languages);

}  // namespace dubkit::test
