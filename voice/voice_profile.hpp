// A voice profile (.voice): the speaker embedding a synthesizer is conditioned on, the encoder
// that made it, the enrollment audio it came from and the consent record it is covered by.
//
//   {"format": "dubkit-voice", "version": 1, "name": "...", "created": "2026-11-29T19:00:00Z",
//    "encoder": "speaker_encoder.safetensors", "embedding": [256 floats, unit norm],
//    "enrollment": {"files": ["a.wav", ...], "speech_seconds": 42.0},
//    "consent": {"reference": "...", "verified": false}}
//
// Consent verification (signed records, spoken statements) is not implemented yet: a profile
// records the consent reference it was made under, marked unverified, and every use reports it.
#pragma once

#include <string>
#include <vector>

namespace dubkit {

struct VoiceProfile {
  static constexpr const char* kFormat = "dubkit-voice";
  static constexpr int kVersion = 1;

  std::string name;
  std::string created;                 // UTC, ISO 8601
  std::string encoder;                 // file name of the encoder that made the embedding
  std::vector<float> embedding;        // unit L2 norm
  std::vector<std::string> enrollment_files;
  double speech_seconds = 0;           // speech (after VAD) the embedding averages
  std::string consent_reference;       // the consent record this profile was made under
  bool consent_verified = false;
};

// Throws IoError when the file cannot be read, FormatError naming the file and field for
// anything malformed (wrong format/version, missing or non-finite embedding, not unit norm,
// empty consent reference).
VoiceProfile read_voice_profile(const std::string& path);
// Written atomically. Throws InvalidArgument for an empty embedding or consent reference.
void write_voice_profile(const std::string& path, const VoiceProfile& profile);
VoiceProfile parse_voice_profile(const std::string& json, const std::string& source);
std::string voice_profile_json(const VoiceProfile& profile);

}  // namespace dubkit
