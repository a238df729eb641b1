#include <cstdio>
#include <cstdlib>

#include "tools/commands.hpp"

namespace dubkit::cli {

void print_json(const nlohmann::ordered_json& j) {
  // File names need not be UTF-8: invalid bytes print as U+FFFD rather than fail the command.
  std::printf("%s\n", j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace).c_str());
}

std::vector<std::string> model_dirs() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("DUBKIT_MODELS")) dirs.emplace_back(env);
  dirs.emplace_back(DUBKIT_SOURCE_DIR "/models");
  return dirs;
}

}  // namespace dubkit::cli
