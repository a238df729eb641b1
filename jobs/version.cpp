#include "jobs/version.hpp"

namespace dubkit {

std::string software_name(const std::string& job) { return "dubkit " + job + " " + DUBKIT_VERSION; }

}  // namespace dubkit
