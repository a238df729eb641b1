// Text for the review page: HTML escaping and the page's number formats.
#pragma once

#include <string>

namespace dubkit {

// HTML text and attribute escaping (& < > " '): what the page applies to every inserted text.
std::string html_escape(const std::string& text);

// `v` with `decimals` decimals, "-0" written "0".
std::string num(double v, int decimals);

// num(v, decimals) + unit, or "" for a number the report does not have (not finite).
std::string known(double v, int decimals, const std::string& unit = "");

// "+2", "0", "-1": an offset in frames.
std::string signed_int(long n);

// A "nice" axis step (1, 2 or 5 times a power of ten) giving about `ticks` intervals, and the
// decimals its labels need.
double nice_step(double range, int ticks);
int decimals_for(double step);

}  // namespace dubkit
