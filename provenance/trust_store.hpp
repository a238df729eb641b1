// The public keys a studio trusts, each for one role, the revocations they signed, and the
// statement recordings already used: one local folder,
//   DIR/keys/<key id>.pub                 studio keys: they sign consent records, voice profiles,
//                                         revocations and outputs (crypto.hpp's key files)
//   DIR/witnesses/<key id>.pub            witness keys: they attest consent records without a
//                                         recording, and nothing else
//   DIR/revocations/<consent id>.<key id>.json
//                                         {"format": "dubkit-revocation", "version": 1, "consent_id",
//                                          "revoked": "YYYY-MM-DD", "reason", "key_id", "signature"}
//   DIR/statements/<SHA-256>.json         {"format": "dubkit-statement-use", "version": 1, "sha256",
//                                          "consent_id"}: the record a statement recording
//                                         enrolled a voice under
// A key is trusted in a role only by being added in that role: a studio key is never a witness
// (an operator could otherwise attest any voice with a key of their own), and trusting a key as
// a witness never lets it sign records. A revocation counts only when it is signed by the key
// that signed the record it revokes; every file counts (any name ending in .json), so one
// revocation cannot hide another. A revocation that names a trusted key but whose signature
// does not verify under it is a FormatError when the store loads (or is asked): never ignored.
// The default folder is $DUBKIT_TRUST_DIR, else $HOME/.config/dubkit/trust.
//
// Thread safety: a loaded store is read-only; const methods may be called from any thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "provenance/crypto.hpp"

namespace dubkit {

enum class KeyRole { Studio, Witness };
const char* key_role_name(KeyRole role);  // "studio", "witness"
KeyRole parse_key_role(const std::string& name);  // throws InvalidArgument

struct Revocation {
  std::string consent_id, revoked, reason;  // revoked: YYYY-MM-DD
  std::string key_id, signature;
};

std::string revocation_signing_text(const Revocation& r);
Revocation parse_revocation(const std::string& json, const std::string& source);  // throws FormatError

class TrustStore {
 public:
  static std::string default_dir();

  // Loads the folder; a folder that does not exist is an empty store. Throws FormatError
  // naming the file for a malformed key or revocation file, or a revocation whose signature
  // does not verify under the trusted key it names.
  explicit TrustStore(std::string dir);

  const std::string& dir() const { return dir_; }
  // The key trusted in `role`, when there is one. find() looks for a studio key.
  const NamedPublicKey* find(const std::string& key_id, KeyRole role = KeyRole::Studio) const;
  // The revocation of `consent_id` signed by `key_id`, when there is one.
  std::optional<Revocation> revocation(const std::string& consent_id, const std::string& key_id) const;

  // Writes the key into the folder of its role (created when missing) and keeps it. Idempotent.
  void add_key(const NamedPublicKey& key, KeyRole role = KeyRole::Studio);
  // The record whose enrollment used the statement recording with this SHA-256 ("" for none).
  std::string statement_use(const std::string& sha256) const;
  // Records that `consent_id` enrolled a voice with the statement recording `sha256`. Throws
  // ConsentRefused when another record already used it, InvalidArgument for a malformed hash
  // or id.
  void use_statement(const std::string& sha256, const std::string& consent_id);

  // Signs and writes a revocation. Throws InvalidArgument for a malformed consent id.
  Revocation revoke(const std::string& consent_id, const std::string& reason, const SigningKey& key);

 private:
  std::string dir_;
  std::map<std::string, NamedPublicKey> keys_, witnesses_;
  std::map<std::string, std::string> statements_;  // SHA-256 -> consent id
  void check_signature(const Revocation& r, const std::string& source) const;  // throws FormatError
  std::map<std::string, std::vector<Revocation>> revocations_;  // by consent id, in no order
};

}  // namespace dubkit
