// A voice profile (.voice): the speaker embedding a synthesizer is conditioned on, the encoder
// that made it, the enrollment audio it came from, the signed consent record it was made
// under, and the studio's signature over all of it.
//
//   {"format": "dubkit-voice", "version": 2 | 3 (adapted), "name": "...", "created": "2026-11-30T10:00:00Z",
//    "encoder": "speaker_encoder.safetensors", "embedding": [256 floats, unit norm],
//    "enrollment": {"files": ["a.wav", ...], "sha256": ["...", ...], "speech_seconds": 42.0},
//    "statement_similarity": 0.81 | null (attested consent),
//    "adaptation": {"synthesizer": "synthesizer.safetensors", "synthesizer_sha256": "...",
//                   "files": ["a.wav", ...], "sha256": ["...", ...], "speech_seconds": 300.0,
//                   "steps": 400, "parameters": {"name": [floats], ...}} (version 3 only),
//    "consent": { the consent record, signed (provenance/consent.hpp) },
//    "signature": {"algorithm": "ed25519", "key_id": "...", "value": "..."}}
//
// A profile with an adaptation is version 3 and one without is version 2, so that a dubkit
// that reads only version 2 refuses an adapted profile rather than speak without its adaptation.
//
// This folder only reads and writes the file. Only provenance/consent_check.hpp makes a
// profile (after verifying consent) and checks one before each use (signatures and scope), and
// only provenance/adaptation_consent.hpp adapts one.
#pragma once

#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dubkit {

// What `voice adapt` learned from the performer's own recordings: a small set of speaker
// parameters for one synthesizer file (synth/speaker_adapter.hpp names them), which a different
// synthesizer file must refuse.
struct VoiceAdaptation {
  std::string synthesizer;                 // file name of the base synthesizer, no folders
  std::string synthesizer_sha256;          // of that file's bytes (64 lowercase hex)
  std::vector<std::string> files;          // the recordings it learned from, file names only
  std::vector<std::string> sha256;         // of each recording's bytes
  double speech_seconds = 0;               // audio it learned from
  long steps = 0;                          // optimisation steps
  std::map<std::string, std::vector<float>> parameters;  // tensor name -> values (finite)
};

struct VoiceProfile {
  static constexpr const char* kFormat = "dubkit-voice";
  static constexpr int kVersion = 2;         // written without an adaptation
  static constexpr int kAdaptedVersion = 3;  // written with one

  std::string name;
  std::string created;                 // UTC, ISO 8601
  std::string encoder;                 // file name of the encoder that made the embedding
  std::vector<float> embedding;        // unit L2 norm
  std::vector<std::string> enrollment_files;   // file names, no folders
  std::vector<std::string> enrollment_sha256;  // of each file's bytes
  double speech_seconds = 0;           // speech (after VAD) the embedding averages
  double statement_similarity = std::numeric_limits<double>::quiet_NaN();  // NaN: attested consent
  std::optional<VoiceAdaptation> adaptation;  // set by `voice adapt`; signed with the rest
  std::string consent;                 // the signed consent record, as compact JSON
  std::string key_id, signature;       // the studio's Ed25519 signature of voice_profile_signing_text
};

// Throws IoError when the file cannot be read, FormatError naming the file and field for
// anything malformed (wrong format, a version 1 profile made before signed consent, missing or
// non-finite embedding, not unit norm, no consent record, no signature, an adaptation in a
// version 2 profile or none in a version 3 one). An adaptation's synthesizer and files must be
// file names without folders (1..255 bytes, no '/' or '\\', not "." or ".."), its hashes 64
// lowercase hex digits, one per file (1..4096 files), speech_seconds finite and >= 0, steps an
// integer >= 0, and parameters 1..32 tensors named [a-z_][a-z0-9_]* (at most 64 characters) of
// 1..65536 finite 32-bit floats each. Signatures are not checked here.
VoiceProfile read_voice_profile(const std::string& path);
// Written atomically, as version 3 when it has an adaptation. Throws InvalidArgument for an
// empty embedding, consent or signature, or an adaptation whose files and sha256 differ in
// length, with no parameters, or with an empty or non-finite tensor.
void write_voice_profile(const std::string& path, const VoiceProfile& profile);
VoiceProfile parse_voice_profile(const std::string& json, const std::string& source);
std::string voice_profile_json(const VoiceProfile& profile);
// What the studio signs: the profile's canonical JSON (keys sorted, no spaces) without "signature".
std::string voice_profile_signing_text(const VoiceProfile& profile);

}  // namespace dubkit
