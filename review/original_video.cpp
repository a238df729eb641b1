#include "review/original_video.hpp"

#include <optional>
#include <vector>

#include "core/error.hpp"

namespace dubkit {

namespace fs = std::filesystem;

namespace {

// The folder the report's writer ran in, when the dubbed path ends with the report's relative
// "output" path ("out/demo/x.mp4" given as "/data/out/demo/x.mp4" implies "/data").
std::optional<fs::path> writer_dir(const std::string& dubbed, const std::string& output) {
  if (output.empty()) return std::nullopt;
  const fs::path out = fs::path(output).lexically_normal();
  if (out.is_absolute()) return std::nullopt;
  fs::path d = fs::absolute(dubbed).lexically_normal();
  std::vector<fs::path> tail(out.begin(), out.end());
  for (auto it = tail.rbegin(); it != tail.rend(); ++it) {
    if (*it == "..") return std::nullopt;
    if (*it == "." || it->empty()) continue;
    if (d.filename() != *it) return std::nullopt;
    d = d.parent_path();
  }
  return d;
}

}  // namespace

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

std::string find_original_video(const std::string& given, const std::string& dubbed, const DubReport& r,
                                const std::string& report_path) {
  if (!given.empty()) {
    if (!is_file(given)) throw IoError(given + ": no such file (the original video)");
    return given;
  }
  if (r.video.empty())
    throw InvalidArgument(report_path + " names no source video (\"video\"): give the original with --original");
  const fs::path v(r.video);
  std::vector<fs::path> tries{v};
  if (v.is_relative()) {
    if (const auto w = writer_dir(dubbed, r.output)) tries.push_back(*w / v);
    tries.push_back(fs::absolute(report_path).parent_path() / v);
  }
  tries.push_back(fs::absolute(report_path).parent_path() / v.filename());
  tries.push_back(fs::absolute(dubbed).parent_path() / v.filename());
  std::string tried;
  for (const fs::path& t : tries) {
    if (is_file(t)) return t.string();
    tried += (tried.empty() ? "" : ", ") + t.lexically_normal().string();
  }
  throw IoError(report_path + ": the source video \"" + r.video + "\" was not found (tried " + tried +
                "): give it with --original");
}

}  // namespace dubkit
