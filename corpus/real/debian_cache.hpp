// Debian packages fetched with `apt-get download` (no root needed, nothing installed) and
// unpacked with `dpkg-deb -x`, kept in a cache so a second corpus build, or one completing an
// interrupted build, fetches nothing again:
//   CACHE/debs/<package>_<version>_<arch>.deb
//   CACHE/root/<package>/...          the package's files as they would be installed
//   CACHE/root/<package>.unpacked     written after a whole unpack; without it the folder is
//                                     removed and unpacked again
// A .deb placed in CACHE/debs by hand is used as if downloaded (offline builds).
// Not thread-safe: one cache object per thread, one builder per cache folder.
#pragma once

#include <string>

namespace dubkit {

class DebianCache {
 public:
  explicit DebianCache(std::string dir);  // creates the folders; throws IoError
  const std::string& dir() const { return dir_; }

  // The unpacked root of `package`, fetched and unpacked first when needed. Throws IoError
  // naming the package and the tool's last output line when apt-get or dpkg-deb fails, or
  // InvalidArgument for a name that is not a Debian package name.
  std::string root(const std::string& package);

  // The cached .deb's file name ("festvox-ru_0.5+dfsg-6_all.deb"), "" when not fetched.
  std::string deb_name(const std::string& package) const;

 private:
  std::string dir_;
};

// "<version>" from a .deb file name "<package>_<version>_<arch>.deb" (an epoch's colon written
// %3a, as apt-get download names files); "" when not of that form.
std::string deb_version(const std::string& deb_name);

}  // namespace dubkit
