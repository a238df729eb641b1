// Versions of the libraries behind dubkit::core, as they report themselves.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace dubkit {

std::vector<std::pair<std::string, std::string>> core_library_versions();

}  // namespace dubkit
