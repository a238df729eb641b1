// Voice profiles: round trip, and every malformed field refused with its name. (Signatures and
// consent are checked in tests/provenance.)
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>

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

// sample_profile() with what `voice adapt` adds; the values include the floats that survive a
// text round trip least easily (a negative zero, the smallest subnormal, the extremes, 1/3).
VoiceProfile adapted_profile() {
  VoiceProfile p = sample_profile();
  VoiceAdaptation a;
  a.synthesizer = "synthesizer.safetensors";
  a.synthesizer_sha256 = std::string(64, 'd');
  a.files = {"take1.wav", "take2.wav"};
  a.sha256 = {std::string(64, 'e'), std::string(64, 'f')};
  a.speech_seconds = 300.0;
  a.steps = 400;
  a.parameters = {{"speaker_bias", {0.1f, -0.0f, std::numeric_limits<float>::denorm_min()}},
                  {"speaker_scale", {1.0f / 3.0f, std::numeric_limits<float>::max(), std::numeric_limits<float>::lowest()}}};
  p.adaptation = a;
  return p;
}

std::uint32_t bits(float x) {
  std::uint32_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
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

TEST_CASE("voice profile: one without an adaptation is written as version 2, as before", "[voice][profile]") {
  // The text this build's predecessor wrote for sample_profile(): adapting is new, and a
  // profile without an adaptation must stay readable by it and keep its signature.
  const std::string before = R"({
  "consent": {
    "format": "dubkit-consent",
    "id": "consent-1"
  },
  "created": "2026-11-29T19:00:00Z",
  "embedding": [
    0.6000000238418579,
    0.800000011920929,
    0.0
  ],
  "encoder": "speaker_encoder.safetensors",
  "enrollment": {
    "files": [
      "a.wav",
      "b.wav"
    ],
    "sha256": [
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    ],
    "speech_seconds": 12.5
  },
  "format": "dubkit-voice",
  "name": "actor",
  "signature": {
    "algorithm": "ed25519",
    "key_id": "0123456789abcdef",
    "value": "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
  },
  "statement_similarity": 0.8125,
  "version": 2
}
)";
  CHECK(voice_profile_json(sample_profile()) == before);
  CHECK_FALSE(parse_voice_profile(before, "x.voice").adaptation.has_value());
}

TEST_CASE("voice profile with an adaptation: round trip", "[voice][profile][adaptation]") {
  const std::string path = test::temp_dir("profile") + "/adapted.voice";
  const VoiceProfile original = adapted_profile();
  write_voice_profile(path, original);
  CHECK(test::slurp(path).find("\"version\": 3") != std::string::npos);
  const VoiceProfile p = read_voice_profile(path);
  REQUIRE(p.adaptation.has_value());
  const VoiceAdaptation& a = *p.adaptation;
  const VoiceAdaptation& o = *original.adaptation;
  CHECK(a.synthesizer == o.synthesizer);
  CHECK(a.synthesizer_sha256 == o.synthesizer_sha256);
  CHECK(a.files == o.files);
  CHECK(a.sha256 == o.sha256);
  CHECK(a.speech_seconds == o.speech_seconds);
  CHECK(a.steps == o.steps);
  REQUIRE(a.parameters.size() == o.parameters.size());
  for (const auto& [name, values] : o.parameters) {
    REQUIRE(a.parameters.count(name) == 1);
    REQUIRE(a.parameters.at(name).size() == values.size());
    for (std::size_t i = 0; i < values.size(); ++i) CHECK(bits(a.parameters.at(name)[i]) == bits(values[i]));
  }
  CHECK(p.embedding == original.embedding);
  CHECK(p.consent == original.consent);
  CHECK(voice_profile_json(p) == test::slurp(path));  // re-serialising gives the same text
  CHECK(voice_profile_signing_text(p) == voice_profile_signing_text(original));
}

TEST_CASE("voice profile: the signed text covers the adaptation", "[voice][profile][adaptation]") {
  const VoiceProfile original = adapted_profile();
  const std::string signed_text = voice_profile_signing_text(original);
  CHECK(signed_text != voice_profile_signing_text(sample_profile()));
  for (const auto& [name, values] : original.adaptation->parameters)
    for (std::size_t i = 0; i < values.size(); ++i) {
      VoiceProfile changed = original;
      float& x = changed.adaptation->parameters.at(name)[i];
      x = std::nextafter(x, x < 0 ? 0.0f : -1.0f);  // one float step, towards zero where possible
      INFO(name << "[" << i << "]");
      CHECK(voice_profile_signing_text(changed) != signed_text);
    }
  VoiceProfile changed = original;
  changed.adaptation->synthesizer_sha256 = std::string(64, '0');
  CHECK(voice_profile_signing_text(changed) != signed_text);
  changed = original;
  changed.adaptation->steps = 401;
  CHECK(voice_profile_signing_text(changed) != signed_text);
}

TEST_CASE("voice profile: an adaptation goes with version 3 only", "[voice][profile][adaptation][bad-input]") {
  const std::string adapted = voice_profile_json(adapted_profile());
  const std::string plain = voice_profile_json(sample_profile());
  CHECK(error_of(adapted).empty());
  // An older dubkit reads only version 2: an adaptation must not pass as version 2, where it
  // would be ignored.
  const std::string as_v2 = error_of(replaced(adapted, "\"version\": 3", "\"version\": 2"));
  CHECK(as_v2.find("\"adaptation\" needs \"version\" 3") != std::string::npos);
  const std::string v3_without = error_of(replaced(plain, "\"version\": 2", "\"version\": 3"));
  CHECK(v3_without.find("\"adaptation\" is missing") != std::string::npos);
  CHECK(error_of(replaced(adapted, "\"version\": 3", "\"version\": 4")).find("versions 2 and 3") != std::string::npos);
}

TEST_CASE("voice profile: a malformed adaptation is refused naming the field", "[voice][profile][adaptation][bad-input]") {
  const std::string good = voice_profile_json(adapted_profile());
  auto refused = [&](const std::string& from, const std::string& to, const std::string& field) {
    const std::string error = error_of(replaced(good, from, to));
    INFO(from << " -> " << to << ": " << error);
    CHECK(error.find("\"adaptation." + field + "\"") != std::string::npos);
  };
  refused(std::string(64, 'd'), std::string(63, 'd'), "synthesizer_sha256");
  refused(std::string(64, 'e'), std::string(64, 'E'), "sha256");
  refused(std::string(64, 'f'), std::string(63, 'f') + "g", "sha256");
  refused("\"take2.wav\"", "\"take2.wav\", \"take3.wav\"", "sha256");  // three files, two hashes
  refused("\"take1.wav\"", "\"../take1.wav\"", "files");
  refused("\"take1.wav\"", "\"a\\\\b.wav\"", "files");
  refused("\"take1.wav\"", "\"\"", "files");
  refused("\"synthesizer.safetensors\"", "\"models/synthesizer.safetensors\"", "synthesizer");
  refused("\"synthesizer.safetensors\"", "\"" + std::string(256, 's') + "\"", "synthesizer");
  refused("\"speech_seconds\": 300.0", "\"speech_seconds\": -1.0", "speech_seconds");
  refused("\"steps\": 400", "\"steps\": -1", "steps");
  refused("\"steps\": 400", "\"steps\": 2.5", "steps");
  refused("\"steps\": 400", "\"steps\": 18446744073709551615", "steps");
  refused("0.10000000149011612", "\"0.1\"", "parameters.speaker_bias");
  refused("0.10000000149011612", "1e39", "parameters.speaker_bias");  // a finite double, but no finite float
  refused("\"speaker_scale\": [", "\"speaker_scale\": [], \"x\": [", "parameters.speaker_scale");
  refused("\"speaker_scale\"", "\"speaker/scale\"", "parameters");
  refused("\"speaker_scale\"", "\"Speaker_scale\"", "parameters");
  refused("\"parameters\": {", "\"parameters\": {}, \"x\": {", "parameters");
  CHECK(error_of(replaced(good, "\"adaptation\": {", "\"adaptation\": 7, \"x\": {")).find("\"adaptation\" must be an object") !=
        std::string::npos);
  CHECK_FALSE(error_of(replaced(good, "0.10000000149011612", "NaN")).empty());  // not JSON at all
}

TEST_CASE("voice profile: an inconsistent adaptation is not written", "[voice][profile][adaptation]") {
  VoiceProfile p = adapted_profile();
  p.adaptation->sha256.pop_back();
  CHECK_THROWS_AS(voice_profile_json(p), InvalidArgument);
  p = adapted_profile();
  p.adaptation->parameters.clear();
  CHECK_THROWS_AS(voice_profile_json(p), InvalidArgument);
  p = adapted_profile();
  p.adaptation->parameters["speaker_bias"][0] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_AS(voice_profile_signing_text(p), InvalidArgument);  // refused before it is signed
  CHECK_THROWS_AS(write_voice_profile(test::temp_dir("profile") + "/nan.voice", p), InvalidArgument);
}
