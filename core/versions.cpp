#include "core/versions.hpp"

#include <zip.h>

#include <nlohmann/json.hpp>

namespace dubkit {

std::vector<std::pair<std::string, std::string>> core_library_versions() {
  return {
      {"libzip", zip_libzip_version()},
      {"nlohmann-json", std::to_string(NLOHMANN_JSON_VERSION_MAJOR) + "." +
                            std::to_string(NLOHMANN_JSON_VERSION_MINOR) + "." +
                            std::to_string(NLOHMANN_JSON_VERSION_PATCH)},
  };
}

}  // namespace dubkit
