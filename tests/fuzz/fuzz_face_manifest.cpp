// libFuzzer target: talking-face manifests (corpus faces) may be shared like audio corpora, so
// any line must parse or end in a dubkit::Error.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "talking_faces/talking_faces.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const dubkit::FaceClip c = dubkit::parse_face_clip(std::string(reinterpret_cast<const char*>(data), size), "fuzz-input");
    (void)dubkit::to_json_line(c);
  } catch (const dubkit::Error&) {
  }
  return 0;
}
