#include "provenance/trust_store.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "provenance/consent.hpp"

namespace dubkit {

namespace fs = std::filesystem;

namespace {

nlohmann::json revocation_json(const Revocation& r, bool with_signature) {
  nlohmann::json j = {{"format", "dubkit-revocation"}, {"version", 1},       {"consent_id", r.consent_id},
                      {"revoked", r.revoked},          {"reason", r.reason}, {"key_id", r.key_id}};
  if (with_signature) j["signature"] = r.signature;
  return j;
}

bool plain_id(const std::string& s) {
  return !s.empty() && s.size() <= 128 &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; });
}

bool sha256_hex(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::map<std::string, NamedPublicKey> read_keys(const std::string& dir) {
  std::map<std::string, NamedPublicKey> keys;
  std::error_code ec;
  if (fs::is_directory(dir, ec))
    for (const auto& e : fs::directory_iterator(dir)) {
      if (e.path().extension() != ".pub") continue;
      NamedPublicKey k = read_public_key(e.path().string());
      keys[k.key.id()] = k;
    }
  return keys;
}

std::pair<std::string, std::string> parse_statement_use(const std::string& json, const std::string& source) {
  const auto j = nlohmann::json::parse(json, nullptr, false);
  auto bad = [&](const std::string& what) { return FormatError(source + ": statement use: " + what); };
  if (!j.is_object() || !j.contains("format") || j["format"] != "dubkit-statement-use") throw bad("not a dubkit-statement-use");
  if (!j.contains("version") || j["version"] != 1) throw bad("unsupported \"version\"");
  if (!j.contains("sha256") || !j["sha256"].is_string() || !sha256_hex(j["sha256"].get<std::string>()))
    throw bad("\"sha256\" must be 64 lowercase hex digits");
  if (!j.contains("consent_id") || !j["consent_id"].is_string() || !plain_id(j["consent_id"].get<std::string>()))
    throw bad("\"consent_id\" is not a record id");
  return {j["sha256"].get<std::string>(), j["consent_id"].get<std::string>()};
}

}  // namespace

std::string revocation_signing_text(const Revocation& r) { return revocation_json(r, false).dump(); }

Revocation parse_revocation(const std::string& json, const std::string& source) {
  const auto j = nlohmann::json::parse(json, nullptr, false);
  auto bad = [&](const std::string& what) { return FormatError(source + ": revocation: " + what); };
  if (!j.is_object() || !j.contains("format") || j["format"] != "dubkit-revocation") throw bad("not a dubkit-revocation");
  if (!j.contains("version") || j["version"] != 1) throw bad("unsupported \"version\"");
  auto str = [&](const char* k) {
    if (!j.contains(k) || !j[k].is_string() || j[k].get<std::string>().size() > 2000) throw bad(std::string("\"") + k + "\" must be a string");
    return j[k].get<std::string>();
  };
  Revocation r{str("consent_id"), str("revoked"), str("reason"), str("key_id"), str("signature")};
  if (!plain_id(r.consent_id)) throw bad("\"consent_id\" is not a record id");
  if (!is_date(r.revoked)) throw bad("\"revoked\" must be YYYY-MM-DD");
  return r;
}

std::string TrustStore::default_dir() {
  if (const char* d = std::getenv("DUBKIT_TRUST_DIR"); d && *d) return d;
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.config/dubkit/trust";
}

const char* key_role_name(KeyRole role) { return role == KeyRole::Witness ? "witness" : "studio"; }

KeyRole parse_key_role(const std::string& name) {
  if (name == "studio") return KeyRole::Studio;
  if (name == "witness") return KeyRole::Witness;
  throw InvalidArgument("key role '" + name + "' is not studio or witness");
}

TrustStore::TrustStore(std::string dir) : dir_(std::move(dir)) {
  std::error_code ec;
  keys_ = read_keys(dir_ + "/keys");
  witnesses_ = read_keys(dir_ + "/witnesses");
  if (fs::is_directory(dir_ + "/statements", ec))
    for (const auto& e : fs::directory_iterator(dir_ + "/statements")) {
      if (e.path().extension() != ".json") continue;
      const std::string p = e.path().string();
      statements_.insert(parse_statement_use(read_small_file(p, 1 << 12, "statement use"), p));
    }
  if (fs::is_directory(dir_ + "/revocations", ec))
    for (const auto& e : fs::directory_iterator(dir_ + "/revocations")) {
      if (e.path().extension() != ".json") continue;
      const std::string p = e.path().string();
      Revocation r = parse_revocation(read_small_file(p, 1 << 16, "revocation"), p);
      check_signature(r, p);
      revocations_[r.consent_id].push_back(std::move(r));
    }
}

void TrustStore::check_signature(const Revocation& r, const std::string& source) const {
  const NamedPublicKey* k = find(r.key_id);
  if (k && !verify_message(k->key, revocation_signing_text(r), r.signature))
    throw FormatError(source + ": revocation of " + r.consent_id + " claims the trusted key " + r.key_id +
                      " but its signature does not verify: a forged or damaged revocation is an error, never ignored");
}

const NamedPublicKey* TrustStore::find(const std::string& key_id, KeyRole role) const {
  const auto& keys = role == KeyRole::Witness ? witnesses_ : keys_;
  const auto it = keys.find(key_id);
  return it == keys.end() ? nullptr : &it->second;
}

std::string TrustStore::statement_use(const std::string& sha256) const {
  const auto it = statements_.find(sha256);
  return it == statements_.end() ? "" : it->second;
}

void TrustStore::use_statement(const std::string& sha256, const std::string& consent_id) {
  if (!sha256_hex(sha256)) throw InvalidArgument("statement use: '" + sha256 + "' is not a SHA-256 in lowercase hex");
  if (!plain_id(consent_id)) throw InvalidArgument("statement use: '" + consent_id + "' is not a consent record id");
  const std::string used = statement_use(sha256);
  if (used == consent_id) return;
  if (!used.empty())
    throw ConsentRefused("the statement recording " + sha256 + " already enrolled a voice under consent " + used);
  fs::create_directories(dir_ + "/statements");
  const nlohmann::json j = {{"format", "dubkit-statement-use"}, {"version", 1}, {"sha256", sha256}, {"consent_id", consent_id}};
  write_file_atomic(dir_ + "/statements/" + sha256 + ".json", j.dump(2) + "\n");
  statements_[sha256] = consent_id;
}

std::optional<Revocation> TrustStore::revocation(const std::string& consent_id, const std::string& key_id) const {
  const auto it = revocations_.find(consent_id);
  if (it == revocations_.end()) return std::nullopt;
  // Every revocation of the record counts: one by another key cannot hide the studio's. One by a
  // key outside the store proves nothing and does not count.
  for (const Revocation& r : it->second)
    if (r.key_id == key_id && find(key_id)) {
      check_signature(r, dir_ + "/revocations");  // its key may have been added since the load
      return r;
    }
  return std::nullopt;
}

void TrustStore::add_key(const NamedPublicKey& key, KeyRole role) {
  const std::string folder = dir_ + (role == KeyRole::Witness ? "/witnesses" : "/keys");
  fs::create_directories(folder);
  write_public_key(folder + "/" + key.key.id() + ".pub", key);
  (role == KeyRole::Witness ? witnesses_ : keys_)[key.key.id()] = key;
}

Revocation TrustStore::revoke(const std::string& consent_id, const std::string& reason, const SigningKey& key) {
  if (!plain_id(consent_id)) throw InvalidArgument("revoke: '" + consent_id + "' is not a consent record id");
  Revocation r{consent_id, today_utc(), reason, key.public_key.id(), ""};
  r.signature = sign_message(key, revocation_signing_text(r));
  fs::create_directories(dir_ + "/revocations");
  // One file per record and key: a revocation by one key never replaces another's.
  write_file_atomic(dir_ + "/revocations/" + consent_id + "." + r.key_id + ".json", revocation_json(r, true).dump(2) + "\n");
  revocations_[consent_id].push_back(r);
  return r;
}

}  // namespace dubkit
