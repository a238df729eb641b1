// The dub report's JSON (OUTPUT.dub.json): written by dub_video (dub/dub.hpp), read by
// dub-check (dub/dub_check.hpp) and the review page (review/review_page.hpp). Header only, so
// readers need no link to the dubbing pipeline.
#pragma once

namespace dubkit {

inline constexpr const char* kDubReportFormat = "dubkit-dub-report";
inline constexpr int kDubReportVersion = 1;

}  // namespace dubkit
