// The public keys a studio trusts, and the revocations they signed: one local folder,
//   DIR/keys/<key id>.pub                 public key files (crypto.hpp)
//   DIR/revocations/<consent id>.<key id>.json
//                                         {"format": "dubkit-revocation", "version": 1, "consent_id",
//                                          "revoked": "YYYY-MM-DD", "reason", "key_id", "signature"}
// A revocation counts only when it is signed by the key that signed the record it revokes; every
// file counts (any name ending in .json), so one revocation cannot hide another. A revocation
// that names a trusted key but whose signature does not verify under it is a FormatError when
// the store loads (or is asked): never ignored.
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
  const NamedPublicKey* find(const std::string& key_id) const;
  // The revocation of `consent_id` signed by `key_id`, when there is one.
  std::optional<Revocation> revocation(const std::string& consent_id, const std::string& key_id) const;

  // Writes the key into the folder (created when missing) and keeps it. Idempotent.
  void add_key(const NamedPublicKey& key);
  // Signs and writes a revocation. Throws InvalidArgument for a malformed consent id.
  Revocation revoke(const std::string& consent_id, const std::string& reason, const SigningKey& key);

 private:
  std::string dir_;
  std::map<std::string, NamedPublicKey> keys_;
  void check_signature(const Revocation& r, const std::string& source) const;  // throws FormatError
  std::map<std::string, std::vector<Revocation>> revocations_;  // by consent id, in no order
};

}  // namespace dubkit
