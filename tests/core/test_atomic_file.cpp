#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "support.hpp"

using namespace dubkit;
namespace fs = std::filesystem;

namespace {
std::size_t entries(const std::string& dir) {
  return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}
}  // namespace

TEST_CASE("AtomicOutput publishes only on commit", "[core]") {
  const std::string dir = test::temp_dir("atomic");
  const std::string path = dir + "/out.wav";
  {
    AtomicOutput out(path);
    CHECK(fs::path(out.temp_path()).extension() == ".wav");  // format-by-extension libraries work
    std::ofstream(out.temp_path()) << "partial";
    // abandoned: an exception would leave the scope the same way
  }
  CHECK_FALSE(fs::exists(path));
  CHECK(entries(dir) == 0);
  {
    AtomicOutput out(path);
    std::ofstream(out.temp_path()) << "whole";
    out.commit();
  }
  std::ifstream in(path);
  std::string s;
  in >> s;
  CHECK(s == "whole");
  CHECK(entries(dir) == 1);
}

TEST_CASE("outputs may not overwrite inputs or go to missing directories", "[core][bad-input]") {
  const std::string dir = test::temp_dir("atomic2");
  const std::string in = dir + "/in.wav";
  std::ofstream(in) << "input";
  CHECK_THROWS_AS(AtomicOutput(in, {in}), InvalidArgument);
  CHECK_THROWS_AS(AtomicOutput(dir + "/./in.wav", {in}), InvalidArgument);  // same file, other spelling
  fs::create_symlink(in, dir + "/link.wav");
  CHECK_THROWS_AS(check_output_path(dir + "/link.wav", {in}), InvalidArgument);
  CHECK_THROWS_AS(check_output_path(dir + "/no/such/dir/out.wav"), IoError);
  CHECK_THROWS_AS(check_output_path(""), InvalidArgument);
  CHECK_NOTHROW(check_output_path(dir + "/new.wav", {in}));
}
