// Consent records: who consented, to whom, for what, where and until when, signed by the
// studio's Ed25519 key. JSON, schema "dubkit-consent" version 1 (docs/CONSENT.md):
//
//   {"format": "dubkit-consent", "version": 1, "id": "consent-<32 hex>", "created": "2026-11-30T10:00:00Z",
//    "performer": {"name": "Ada Example", "represented": true, "representative": "Agency"},
//    "signatory": {"name": "Ada Example", "role": "performer" | "estate" | "guardian"},
//    "studio": {"name": "Demo Studio", "project": "Sample dub"},
//    "uses": ["dubbing", "lip-sync", "voice-restoration", "research", "adaptation"], "languages": ["en", "es"],
//    "territory": ["worldwide"] | ["DE", "FR", "EU", ...],
//    "valid_from": "2026-11-30", "valid_until": "2027-11-30", "revocation": "URL or id",
//    "path": "spoken",
//    "statement": {"text": "...", "challenge": "four random words", "audio": "statement.wav", "audio_sha256": "..."},
//    "path": "attested" (instead, for people who can no longer speak),
//    "attestation": {"witness": "Dr. ...", "role": "clinician", "date": "2026-11-29", "text": "...",
//                    "key_id": "<witness key id>", "signature": "<hex>"},
//    "signature": {"algorithm": "ed25519", "key_id": "<studio key id>", "value": "<hex>"}}
//
// What is signed is the record's canonical text (consent_signing_text): the JSON without
// "signature", keys sorted, no whitespace. A witness signs the same text without the
// attestation's own signature. Paths inside a record are relative to the record's folder and
// may not leave it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "provenance/crypto.hpp"

namespace dubkit {

struct SpokenStatement {
  std::string text;          // what the performer reads (consent_statement_text)
  std::string challenge;     // random words drawn for this record
  std::string audio;         // the recording, relative to the record's folder
  std::string audio_sha256;  // of the recording's bytes
};

struct Attestation {
  std::string witness, role, date, text;  // named witness (clinician, ...), YYYY-MM-DD
  std::string key_id, signature;          // the witness's Ed25519 signature
};

struct ConsentRecord {
  static constexpr const char* kFormat = "dubkit-consent";
  static constexpr int kVersion = 1;

  std::string id, created;
  std::string performer;
  bool represented = false;
  std::string representative;  // agent or union, when represented
  std::string signatory, signatory_role = "performer";
  std::string studio, project;
  std::vector<std::string> uses, languages, territory;
  std::string valid_from, valid_until;  // YYYY-MM-DD, both days included
  std::string revocation;               // where revocations are published, or an id
  std::optional<SpokenStatement> statement;
  std::optional<Attestation> attestation;
  std::string key_id, signature;  // the studio's

  bool attested() const { return attestation.has_value(); }
};

// The uses a record may permit, and which of them cover cloning a voice. "adaptation" (the
// performer's recordings may fine-tune a model to their voice or face) does not: a record needs
// it besides a use that does.
const std::vector<std::string>& consent_uses();
bool use_covers_voice(const std::string& use);
// consent_uses() as "dubbing, lip-sync, ...", for messages and help, so none lists them by hand.
std::string consent_uses_text();

// The sentence a performer reads: names the performer, the studio and the challenge.
std::string consent_statement_text(const ConsentRecord& r);
// Four words drawn with the system's secure generator from a list PocketSphinx's US English
// dictionary knows and that are hard to confuse with each other.
std::string random_challenge();
// The words challenges are drawn from (all in PocketSphinx's US English dictionary).
const std::vector<std::string>& challenge_vocabulary();

// Parses and validates a record: schema, version, every field's type, size (strings at most
// 2000 bytes, lists at most 64 entries), dates, uses, language and territory codes, exactly one
// of statement or attestation, and safe relative paths. Throws FormatError naming `source`
// and the field. Does not check signatures (verify_consent does).
ConsentRecord parse_consent(const std::string& json, const std::string& source);
// At most 1 MiB. Throws IoError, FormatError.
ConsentRecord read_consent(const std::string& path);
std::string consent_json(const ConsentRecord& r);          // pretty, with the signature
std::string consent_compact_json(const ConsentRecord& r);  // one line, keys sorted, with the signature
void write_consent(const std::string& path, const ConsentRecord& r);

// What the studio signs, and what a witness signs.
std::string consent_signing_text(const ConsentRecord& r);
std::string attestation_signing_text(const ConsentRecord& r);

// Signs with the studio key (sets key_id and signature) / the witness key.
void sign_consent(ConsentRecord& r, const SigningKey& studio);
void attest_consent(ConsentRecord& r, const SigningKey& witness);

// Throws FormatError naming `what` unless `path` is a plain relative path that stays inside
// its folder: not empty, not absolute, no "..", no backslash or control character, at most 255 bytes.
void check_relative_path(const std::string& path, const std::string& what);
// True for "YYYY-MM-DD" naming a real day.
bool is_date(const std::string& s);
// Today's date in UTC, "YYYY-MM-DD"; now as "YYYY-MM-DDTHH:MM:SSZ".
std::string today_utc();
std::string now_utc();

}  // namespace dubkit
