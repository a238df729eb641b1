#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "core/error.hpp"

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

std::string model_path(const std::string& given, const std::string& default_file, const std::string& flag) {
  if (!given.empty()) return given;
  for (const std::string& dir : model_dirs())
    if (std::filesystem::exists(dir + "/" + default_file)) return dir + "/" + default_file;
  throw InvalidArgument("no " + flag + " given and no " + default_file + " in $DUBKIT_MODELS or models/");
}

std::string vocoder_spec(const std::string& given) {
  return given == "default" ? model_path("", kDefaultVocoder, "--vocoder") : given;
}

}  // namespace dubkit::cli
