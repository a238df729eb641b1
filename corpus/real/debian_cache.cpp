#include "corpus/real/debian_cache.hpp"

#include <cctype>
#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "core/subprocess.hpp"

namespace fs = std::filesystem;

namespace dubkit {

namespace {

// Debian policy 5.6.1: lower-case letters, digits, + - . ; at least two characters.
bool valid_package_name(const std::string& name) {
  if (name.size() < 2 || !(std::isalnum(static_cast<unsigned char>(name[0])))) return false;
  for (const char c : name)
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '+' ||
          c == '-' || c == '.'))
      return false;
  return true;
}

std::string last_line(const std::string& text) {
  std::string t = text;
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  const std::size_t nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

}  // namespace

DebianCache::DebianCache(std::string dir) : dir_(std::move(dir)) {
  std::error_code ec;
  fs::create_directories(fs::path(dir_) / "debs", ec);
  if (!ec) fs::create_directories(fs::path(dir_) / "root", ec);
  if (ec) throw IoError("cannot create the package cache '" + dir_ + "': " + ec.message());
}

std::string DebianCache::deb_name(const std::string& package) const {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(fs::path(dir_) / "debs", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > package.size() + 5 && name.compare(0, package.size() + 1, package + "_") == 0 &&
        entry.path().extension() == ".deb")
      return name;
  }
  return "";
}

std::string DebianCache::root(const std::string& package) {
  if (!valid_package_name(package)) throw InvalidArgument("'" + package + "' is not a Debian package name");
  const fs::path root = fs::path(dir_) / "root" / package;
  const fs::path marker = fs::path(dir_) / "root" / (package + ".unpacked");
  if (fs::exists(marker)) return root.string();

  const fs::path debs = fs::path(dir_) / "debs";
  // Two tries: a .deb cut short by an interrupted download fails to unpack, and is fetched again.
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::string deb = deb_name(package);
    if (deb.empty()) {
      const ProgramResult r = run_program({"apt-get", "download", "-q", package}, debs.string());
      deb = deb_name(package);
      if (!r.ok() || deb.empty())
        throw IoError("cannot download Debian package '" + package + "' (apt-get download exit " +
                      std::to_string(r.exit_code) + "): " + last_line(r.output));
    }
    std::error_code ec;
    fs::remove_all(root, ec);
    const ProgramResult r = run_program({"dpkg-deb", "-x", (debs / deb).string(), root.string()});
    if (r.ok()) {
      std::ofstream(marker) << deb << "\n";
      if (!fs::exists(marker)) throw IoError("cannot write '" + marker.string() + "'");
      return root.string();
    }
    fs::remove(debs / deb, ec);
    if (attempt == 1)
      throw IoError("cannot unpack Debian package '" + package + "' (" + deb + "): " + last_line(r.output));
  }
  return root.string();
}

std::string deb_version(const std::string& deb_name) {
  const std::size_t first = deb_name.find('_');
  const std::size_t last = deb_name.rfind('_');
  if (first == std::string::npos || last == first || deb_name.size() < 4 ||
      deb_name.compare(deb_name.size() - 4, 4, ".deb") != 0)
    return "";
  std::string version = deb_name.substr(first + 1, last - first - 1);
  // apt-get download writes an epoch's colon as %3a.
  for (std::size_t p = version.find("%3a"); p != std::string::npos; p = version.find("%3a", p + 1))
    version.replace(p, 3, ":");
  return version;
}

}  // namespace dubkit
