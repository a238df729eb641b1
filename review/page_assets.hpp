// The review page's own style sheet and its one script, as literals: the page is a single file
// that fetches nothing.
#pragma once

#include <string>

namespace dubkit {

extern const char* const kPageStyle;

// Mirrors play, pause, seeking and rate between the two videos (either one drives), one control
// set for both, row and span clicks seek; reads no text from the report.
extern const char* const kPageScript;

// The Content-Security-Policy hash (base64 SHA-256) of kPageScript: only it runs, whatever text
// a report smuggles in.
std::string page_script_hash();

}  // namespace dubkit
