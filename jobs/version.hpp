// The name outputs give as the software that made them (a manifest's claim generator).
#pragma once

#include <string>

namespace dubkit {

// "dubkit JOB VERSION", e.g. "dubkit say 0.1.0".
std::string software_name(const std::string& job);

}  // namespace dubkit
