// Versions of the C libraries behind dubkit::audio, as they report themselves at run time.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace dubkit {

std::vector<std::pair<std::string, std::string>> audio_library_versions();

}  // namespace dubkit
