// Signed provenance manifests, after the C2PA data model: what was made (actions with IPTC
// digital source types), from what (ingredients with SHA-256), with which models (weight
// hashes), under which consent record, carrying which watermark payloads, where in the picture.
//
// A manifest is embedded in the file it describes and written beside it as a sidecar
// (FILE.manifest.json, the same bytes):
//   WAV  a RIFF chunk "dkmf" appended as the last chunk (RIFF size updated)
//   MP4  a top-level 'uuid' box with dubkit's manifest UUID appended as the last box
// Its "asset_hash" is the SHA-256 of the file as it was before the manifest was added (the
// same bytes with the chunk or box removed and, for WAV, the RIFF size restored); its
// signature (Ed25519) covers the manifest's canonical JSON, hash included. The embedded
// text is itself canonical (keys sorted, no spaces), so every byte of the file and of the
// manifest is covered.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "provenance/crypto.hpp"
#include "provenance/trust_store.hpp"

namespace dubkit {

// IPTC digital source types (http://cv.iptc.org/newscodes/digitalsourcetype/...).
inline constexpr const char* kTrainedAlgorithmicMedia = "trainedAlgorithmicMedia";
inline constexpr const char* kCompositeWithTrainedAlgorithmicMedia = "compositeWithTrainedAlgorithmicMedia";

struct ManifestAction {
  std::string action;               // "c2pa.created", "c2pa.edited", "c2pa.translated"
  std::string digital_source_type;  // one of the k* above, or "" (translated)
  std::string software_agent;       // "dubkit say 0.1.0"
  std::string source_language, target_language;  // translated only
};

struct ManifestIngredient {
  std::string title;         // file name, no folder
  std::string relationship;  // "parentOf" (the source video) or "inputTo"
  std::string role;          // "source video", "enrollment audio", "adaptation audio", "script", "speech"
  std::string sha256;
};

struct ManifestModel {
  std::string name;    // file name
  std::string sha256;  // of the weight file
};

struct ManifestRegion {  // the picture region re-rendered, in frames and pixels
  long first_frame = 0, last_frame = 0;
  int x = 0, y = 0, width = 0, height = 0;
};

struct ManifestDisclosure {
  std::string territory;  // "worldwide", "EU", ISO 3166 codes
  std::string kind;       // "spoken notice", "on-screen label"
  bool applied = true;    // false: the user removed it (--no-disclosure); recorded, never silent
};

struct Manifest {
  static constexpr const char* kFormat = "dubkit-manifest";
  static constexpr int kVersion = 1;

  std::string instance_id;  // this output's id (also in its watermark payloads)
  std::string title, mime;  // file name; "audio/wav", "video/mp4"
  std::string created;      // UTC ISO 8601
  std::string claim_generator;
  std::vector<ManifestAction> actions;
  std::vector<ManifestIngredient> ingredients;
  std::vector<ManifestModel> models;
  std::string consent_id, consent_path, consent_key_id;  // consent_path: "spoken" or "attested"
  std::vector<std::uint32_t> watermark_payloads;          // one per block (each second; a half-second tail)
  std::optional<ManifestRegion> region;
  std::vector<ManifestDisclosure> disclosures;
  std::string asset_sha256;       // set by embed_manifest
  std::string key_id, signature;  // set by embed_manifest
};

// Canonical JSON (keys sorted, no spaces), with and without the signature.
std::string manifest_json(const Manifest& m);
std::string manifest_signing_text(const Manifest& m);
// Parses a manifest; throws FormatError naming `source` and the field (schema, version,
// types, sizes: strings at most 2000 bytes, lists at most 100000 entries, hex hashes).
Manifest parse_manifest(const std::string& json, const std::string& source);

// Signs `m` for the file at `path` (a WAV or an MP4 without a manifest), embeds it and writes
// the sidecar. The file is rewritten atomically. Throws FormatError for another container or
// a file that already has a manifest, IoError.
void embed_manifest(const std::string& path, Manifest& m, const SigningKey& key);

std::string sidecar_path(const std::string& path);  // path + ".manifest.json"

enum class ManifestStatus {
  valid,      // embedded manifest (and sidecar, when present) intact, signed by a trusted key
  tampered,   // the file, the manifest or the sidecar changed after signing
  untrusted,  // intact, but signed by a key not in the trust store
  missing,    // no manifest: provenance unknown (never "authentic")
};
const char* to_string(ManifestStatus s);

struct ManifestVerification {
  ManifestStatus status = ManifestStatus::missing;
  std::string detail;
  std::optional<Manifest> manifest;  // when one could be read
  std::string signer;                // trusted key's name
};

// Checks the file's embedded manifest and its sidecar (when the sidecar exists). Never throws
// for what is inside the file: malformed containers and manifests are "tampered". Throws
// IoError when the file cannot be read.
ManifestVerification verify_manifest(const std::string& path, const TrustStore& trust);

}  // namespace dubkit
