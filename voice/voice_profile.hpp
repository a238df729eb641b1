// A voice profile (.voice): the speaker embedding a synthesizer is conditioned on, the encoder
// that made it, the enrollment audio it came from, the signed consent record it was made
// under, and the studio's signature over all of it.
//
//   {"format": "dubkit-voice", "version": 2, "name": "...", "created": "2026-11-30T10:00:00Z",
//    "encoder": "speaker_encoder.safetensors", "embedding": [256 floats, unit norm],
//    "enrollment": {"files": ["a.wav", ...], "sha256": ["...", ...], "speech_seconds": 42.0},
//    "statement_similarity": 0.81 | null (attested consent),
//    "consent": { the consent record, signed (provenance/consent.hpp) },
//    "signature": {"algorithm": "ed25519", "key_id": "...", "value": "..."}}
//
// This folder only reads and writes the file. Only provenance/consent_check.hpp makes a
// profile (after verifying consent) and checks one before each use (signatures and scope).
#pragma once

#include <limits>
#include <string>
#include <vector>

namespace dubkit {

struct VoiceProfile {
  static constexpr const char* kFormat = "dubkit-voice";
  static constexpr int kVersion = 2;

  std::string name;
  std::string created;                 // UTC, ISO 8601
  std::string encoder;                 // file name of the encoder that made the embedding
  std::vector<float> embedding;        // unit L2 norm
  std::vector<std::string> enrollment_files;   // file names, no folders
  std::vector<std::string> enrollment_sha256;  // of each file's bytes
  double speech_seconds = 0;           // speech (after VAD) the embedding averages
  double statement_similarity = std::numeric_limits<double>::quiet_NaN();  // NaN: attested consent
  std::string consent;                 // the signed consent record, as compact JSON
  std::string key_id, signature;       // the studio's Ed25519 signature of voice_profile_signing_text
};

// Throws IoError when the file cannot be read, FormatError naming the file and field for
// anything malformed (wrong format, a version 1 profile made before signed consent, missing or
// non-finite embedding, not unit norm, no consent record, no signature). Signatures are not
// checked here.
VoiceProfile read_voice_profile(const std::string& path);
// Written atomically. Throws InvalidArgument for an empty embedding, consent or signature.
void write_voice_profile(const std::string& path, const VoiceProfile& profile);
VoiceProfile parse_voice_profile(const std::string& json, const std::string& source);
std::string voice_profile_json(const VoiceProfile& profile);
// What the studio signs: the profile's canonical JSON (keys sorted, no spaces) without "signature".
std::string voice_profile_signing_text(const VoiceProfile& profile);

}  // namespace dubkit
