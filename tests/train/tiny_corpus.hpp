// The corpus the trainer tests share: 0.02 h, 12 speakers, at 16000 and 22050 Hz, built once per
// test run (on first use).
#pragma once

#include <string>

namespace dubkit::test {

const std::string& tiny_corpus();

}  // namespace dubkit::test
