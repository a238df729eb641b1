// libFuzzer target: voice profiles are handed between people and machines, so any bytes
// must parse or end in a dubkit::Error.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "voice/voice_profile.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const dubkit::VoiceProfile p =
        dubkit::parse_voice_profile(std::string(reinterpret_cast<const char*>(data), size), "fuzz-input");
    (void)dubkit::voice_profile_json(p);
  } catch (const dubkit::Error&) {
  }
  return 0;
}
