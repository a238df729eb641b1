#include <cstdio>
#include <cstdlib>

#include "tools/commands.hpp"

namespace dubkit::cli {

void print_json(const nlohmann::ordered_json& j) { std::printf("%s\n", j.dump(2).c_str()); }

std::vector<std::string> model_dirs() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("DUBKIT_MODELS")) dirs.emplace_back(env);
  dirs.emplace_back(DUBKIT_SOURCE_DIR "/models");
  return dirs;
}

}  // namespace dubkit::cli
