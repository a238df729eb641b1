// Where the review page finds the dub's source video. The report's relative paths are
// relative to the folder its writer ran in, which the reader does not know, so the places are
// tried in turn (see find_original_video).
#pragma once

#include <filesystem>
#include <string>

#include "dub/dub_report.hpp"

namespace dubkit {

// A regular file (a path that cannot be examined counts as none).
bool is_file(const std::filesystem::path& p);

// `given` when not empty (IoError when it is no file). Else the report's "video": as written
// (absolute, or from the current folder), then from the folder the report's "output" implies
// (the `dubbed` path with the report's relative output path stripped), then beside the report
// and beside the dubbed file by file name.
// Throws InvalidArgument when the report names no video, IoError naming the places tried.
std::string find_original_video(const std::string& given, const std::string& dubbed, const DubReport& r,
                                const std::string& report_path);

}  // namespace dubkit
