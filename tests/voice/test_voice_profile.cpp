// Voice profiles: round trip, and every malformed field refused with its name. (Signatures and
// consent are checked in tests/provenance.)
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>

#include "core/error.hpp"
#include "support.hpp"
#include "voice/voice_profile.hpp"

using namespace dubkit;

namespace {

VoiceProfile sample_profile() {
  VoiceProfile p;
  p.name = "actor";
  p.created = "2026-11-29T19:00:00Z";
  p.encoder = "speaker_encoder.safetensors";
  p.embedding = {0.6f, 0.8f, 0.0f};
  p.enrollment_files = {"a.wav", "b.wav"};
  p.enrollment_sha256 = {std::string(64, 'a'), std::string(64, 'b')};
  p.speech_seconds = 12.5;
  p.statement_similarity = 0.8125;
  p.consent = R"({"format":"dubkit-consent","id":"consent-1"})";
  p.key_id = "0123456789abcdef";
  p.signature = std::string(128, 'c');
  return p;
}

std::string error_of(const std::string& json) {
  try {
    parse_voice_profile(json, "x.voice");
  } catch (const FormatError& e) {
    return e.what();
  }
  return "";
}

std::string replaced(std::string s, const std::string& from, const std::string& to) {
  const std::size_t at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("voice profile round trip", "[voice][profile]") {
  const std::string path = test::temp_dir("profile") + "/actor.voice";
  write_voice_profile(path, sample_profile());
  const VoiceProfile p = read_voice_profile(path);
  CHECK(p.name == "actor");
  CHECK(p.embedding == sample_profile().embedding);
  CHECK(p.enrollment_files == sample_profile().enrollment_files);
  CHECK(p.consent == sample_profile().consent);
  CHECK(p.statement_similarity == 0.8125);
  CHECK(voice_profile_signing_text(p) == voice_profile_signing_text(sample_profile()));  // the signed text is remade exactly
  CHECK_THROWS_AS(read_voice_profile(path + ".missing"), IoError);
}

TEST_CASE("voice profile: malformed files are refused naming the field", "[voice][profile][bad-input]") {
  const std::string good = voice_profile_json(sample_profile());
  CHECK(error_of(good).empty());
  CHECK(error_of("[]").find("not a JSON object") != std::string::npos);
  CHECK(error_of(replaced(good, "dubkit-voice", "other")).find("format") != std::string::npos);
  CHECK(error_of(replaced(good, "\"version\": 2", "\"version\": 3")).find("version") != std::string::npos);
  CHECK(error_of(replaced(good, "\"version\": 2", "\"version\": 1")).find("enroll the voice again") != std::string::npos);
  CHECK(error_of(replaced(good, "0.6", "0.9")).find("unit length") != std::string::npos);
  CHECK(error_of(replaced(good, "\"embedding\": [", "\"embedding\": [\"x\", ")).find("non-number") != std::string::npos);
  CHECK(error_of(replaced(good, "\"consent\": {", "\"consent\": 7, \"x\": {")).find("no voice without consent") != std::string::npos);
  CHECK(error_of(replaced(good, "\"signature\": {", "\"unsigned\": {")).find("unsigned") != std::string::npos);
  CHECK(error_of(replaced(good, "\"statement_similarity\": 0.8125", "\"statement_similarity\": \"high\"")).find("statement_similarity") != std::string::npos);
  CHECK(error_of(replaced(good, "\"speech_seconds\": 12.5", "\"speech_seconds\": null")).find("speech_seconds") !=
        std::string::npos);
  VoiceProfile no_consent = sample_profile();
  no_consent.consent.clear();
  CHECK_THROWS_AS(voice_profile_json(no_consent), InvalidArgument);
}
