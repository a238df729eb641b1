#include "tools/cli_support.hpp"

#include <catch2/catch.hpp>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>

#include "support.hpp"

namespace dubkit::test {
namespace {

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace

Result run_dubkit(const std::vector<std::string>& args, int timeout_s, const std::string& stdin_path) {
  static int n = 0;
  const std::string dir = temp_dir("cli-io");
  const std::string out = dir + "/out" + std::to_string(n) + ".txt", err = dir + "/err" + std::to_string(n++) + ".txt";
  std::string cmd = "timeout " + std::to_string(timeout_s) + " " + quote(DUBKIT_BINARY);
  for (const auto& a : args) cmd += " " + quote(a);
  cmd += " <" + quote(stdin_path) + " >" + quote(out) + " 2>" + quote(err);
  const int status = std::system(cmd.c_str());
  Result r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
  UNSCOPED_INFO("dubkit exit " << r.code << "\nstdout: " << r.out << "\nstderr: " << r.err);
  return r;
}

std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> v;
  for (const auto& e : std::filesystem::directory_iterator(dir)) v.push_back(e.path().filename().string());
  return v;
}

}  // namespace dubkit::test
