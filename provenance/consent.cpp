#include "provenance/consent.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>

#include <nlohmann/json.hpp>
#include <sodium.h>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace dubkit {

namespace {

constexpr std::size_t kMaxString = 2000;
constexpr std::size_t kMaxList = 64;

// Common words in PocketSphinx's cmudict-en-us, two syllables, mutually distinct in sound.
const char* const kChallengeWords[] = {
    "apple",  "river",  "garden", "yellow", "window", "pencil", "orange", "tiger",  "summer", "silver", "rocket",
    "valley", "candle", "forest", "island", "button", "castle", "dragon", "guitar", "harbor", "jacket", "kitten",
    "ladder", "meadow", "number", "ocean",  "pepper", "rabbit", "tunnel", "violin", "wagon",  "zebra",  "basket",
    "copper", "dinner", "engine", "finger", "hammer", "lemon",  "marble", "monkey", "needle", "paper",  "pillow",
    "puzzle", "rainbow", "salad", "spider", "sugar",  "table",  "thunder", "tomato", "turtle", "velvet", "water",
    "winter", "blanket", "butter", "cabin",  "doctor", "falcon", "kettle", "mirror", "planet"};

class Reader {
 public:
  Reader(const nlohmann::json& j, std::string source) : j_(j), source_(std::move(source)) {}

  FormatError bad(const std::string& field, const std::string& what) const {
    return FormatError(source_ + ": consent record: \"" + field + "\" " + what);
  }
  const nlohmann::json& object(const nlohmann::json& o, const std::string& key) const {
    if (!o.contains(key) || !o[key].is_object()) throw bad(key, "must be an object");
    return o[key];
  }
  std::string str(const nlohmann::json& o, const std::string& key, bool required = true, bool nonempty = true) const {
    if (!o.contains(key)) {
      if (required) throw bad(key, "is missing");
      return {};
    }
    if (!o[key].is_string()) throw bad(key, "must be a string");
    std::string s = o[key].get<std::string>();
    if (s.size() > kMaxString) throw bad(key, "is longer than " + std::to_string(kMaxString) + " bytes");
    if (nonempty && required && s.empty()) throw bad(key, "is empty");
    for (unsigned char c : s)
      if (c < 0x20 && c != '\n') throw bad(key, "holds a control character");
    return s;
  }
  std::vector<std::string> list(const nlohmann::json& o, const std::string& key) const {
    if (!o.contains(key) || !o[key].is_array()) throw bad(key, "must be a list");
    if (o[key].empty()) throw bad(key, "is empty");
    if (o[key].size() > kMaxList) throw bad(key, "has more than " + std::to_string(kMaxList) + " entries");
    std::vector<std::string> out;
    for (const auto& v : o[key]) {
      if (!v.is_string() || v.get<std::string>().size() > 64) throw bad(key, "must hold short strings");
      out.push_back(v.get<std::string>());
    }
    return out;
  }
  std::string date(const nlohmann::json& o, const std::string& key) const {
    std::string s = str(o, key);
    if (!is_date(s)) throw bad(key, "must be a date YYYY-MM-DD, got '" + s + "'");
    return s;
  }
  const nlohmann::json& root() const { return j_; }

 private:
  const nlohmann::json& j_;
  std::string source_;
};

bool all_of(const std::string& s, int (*pred)(int)) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [&](unsigned char c) { return pred(c) != 0; });
}

// The record as JSON; `with_signature` false leaves the studio's signature out, and
// `with_attestation_signature` false the witness's.
nlohmann::json to_json(const ConsentRecord& r, bool with_signature, bool with_attestation_signature) {
  nlohmann::json j;
  j["format"] = ConsentRecord::kFormat;
  j["version"] = ConsentRecord::kVersion;
  j["id"] = r.id;
  j["created"] = r.created;
  j["performer"] = {{"name", r.performer}, {"represented", r.represented}};
  if (r.represented) j["performer"]["representative"] = r.representative;
  j["signatory"] = {{"name", r.signatory}, {"role", r.signatory_role}};
  j["studio"] = {{"name", r.studio}, {"project", r.project}};
  j["uses"] = r.uses;
  j["languages"] = r.languages;
  j["territory"] = r.territory;
  j["valid_from"] = r.valid_from;
  j["valid_until"] = r.valid_until;
  j["revocation"] = r.revocation;
  if (r.statement) {
    j["path"] = "spoken";
    j["statement"] = {{"text", r.statement->text}, {"challenge", r.statement->challenge},
                      {"audio", r.statement->audio}, {"audio_sha256", r.statement->audio_sha256}};
  }
  if (r.attestation) {
    const Attestation& a = *r.attestation;
    j["path"] = "attested";
    j["attestation"] = {{"witness", a.witness}, {"role", a.role}, {"date", a.date}, {"text", a.text}, {"key_id", a.key_id}};
    if (with_attestation_signature) j["attestation"]["signature"] = a.signature;
  }
  if (with_signature) j["signature"] = {{"algorithm", "ed25519"}, {"key_id", r.key_id}, {"value", r.signature}};
  return j;
}

}  // namespace

const std::vector<std::string>& consent_uses() {
  static const std::vector<std::string> uses = {"dubbing", "lip-sync", "voice-restoration", "research", "adaptation"};
  return uses;
}

std::string consent_uses_text() {
  std::string text;
  for (const std::string& u : consent_uses()) text += (text.empty() ? "" : ", ") + u;
  return text;
}

bool use_covers_voice(const std::string& use) { return use == "dubbing" || use == "voice-restoration" || use == "research"; }

std::string consent_statement_text(const ConsentRecord& r) {
  // Commas between the challenge words: readers (and synthesisers) pause there, which keeps
  // the recogniser from merging them.
  std::string words;
  if (r.statement)
    for (char c : r.statement->challenge) words += c == ' ' ? std::string(", ") : std::string(1, c);
  return "I am " + r.performer + ", and I agree that " + r.studio +
         " may use recordings of my voice to make a synthetic voice. My challenge words are " + words + ".";
}

const std::vector<std::string>& challenge_vocabulary() {
  static const std::vector<std::string> words(std::begin(kChallengeWords), std::end(kChallengeWords));
  return words;
}

std::string random_challenge() {
  constexpr std::uint32_t n = sizeof kChallengeWords / sizeof kChallengeWords[0];
  if (sodium_init() < 0) throw Error("libsodium failed to initialise");
  std::string out;
  for (int i = 0; i < 4; ++i) out += std::string(i ? " " : "") + kChallengeWords[randombytes_uniform(n)];
  return out;
}

bool is_date(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (int i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  const int y = std::stoi(s.substr(0, 4)), m = std::stoi(s.substr(5, 2)), d = std::stoi(s.substr(8, 2));
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1900 || m < 1 || m > 12 || d < 1) return false;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= days[m - 1] + (m == 2 && leap ? 1 : 0);
}

std::string today_utc() { return now_utc().substr(0, 10); }

std::string now_utc() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void check_relative_path(const std::string& path, const std::string& what) {
  auto bad = [&](const std::string& why) { return FormatError(what + ": path '" + path.substr(0, 80) + "' " + why); };
  if (path.empty()) throw bad("is empty");
  if (path.size() > 255) throw bad("is longer than 255 bytes");
  if (path.front() == '/') throw bad("is absolute: paths in a record stay inside its folder");
  for (unsigned char c : path)
    if (c < 0x20 || c == '\\' || c == 0x7f) throw bad("holds a backslash or control character");
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string part = path.substr(start, end - start);
    if (part == "..") throw bad("climbs out of its folder with '..'");
    start = end + 1;
  }
}

ConsentRecord parse_consent(const std::string& json, const std::string& source) {
  if (json.size() > (1u << 20)) throw FormatError(source + ": consent record larger than 1 MiB");
  const auto j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) throw FormatError(source + ": consent record: not a JSON object");
  Reader rd(j, source);
  if (!j.contains("format") || j["format"] != ConsentRecord::kFormat) throw rd.bad("format", "is not \"dubkit-consent\"");
  if (!j.contains("version") || !j["version"].is_number_integer() || j["version"] != ConsentRecord::kVersion)
    throw rd.bad("version", "is not supported (this build reads version 1)");
  ConsentRecord r;
  r.id = rd.str(j, "id");
  if (r.id.size() > 128 || !std::all_of(r.id.begin(), r.id.end(), [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; }))
    throw rd.bad("id", "must be at most 128 letters, digits, '-' or '_'");
  r.created = rd.str(j, "created");
  const auto& perf = rd.object(j, "performer");
  r.performer = rd.str(perf, "name");
  if (!perf.contains("represented") || !perf["represented"].is_boolean()) throw rd.bad("represented", "must be true or false");
  r.represented = perf["represented"].get<bool>();
  r.representative = rd.str(perf, "representative", r.represented);
  const auto& sig = rd.object(j, "signatory");
  r.signatory = rd.str(sig, "name");
  r.signatory_role = rd.str(sig, "role");
  if (r.signatory_role != "performer" && r.signatory_role != "estate" && r.signatory_role != "guardian")
    throw rd.bad("role", "must be performer, estate or guardian");
  const auto& studio = rd.object(j, "studio");
  r.studio = rd.str(studio, "name");
  r.project = rd.str(studio, "project");
  r.uses = rd.list(j, "uses");
  for (const auto& u : r.uses)
    if (std::find(consent_uses().begin(), consent_uses().end(), u) == consent_uses().end())
      throw rd.bad("uses", "holds '" + u + "' (known: " + consent_uses_text() + ")");
  r.languages = rd.list(j, "languages");
  for (const auto& l : r.languages)
    if (l.size() < 2 || l.size() > 3 || !all_of(l, islower)) throw rd.bad("languages", "holds '" + l + "', not an ISO 639 code");
  r.territory = rd.list(j, "territory");
  for (const auto& t : r.territory)
    if (t != "worldwide" && (t.size() != 2 || !all_of(t, isupper)))
      throw rd.bad("territory", "holds '" + t + "' (\"worldwide\" or ISO 3166 codes such as DE, or EU)");
  r.valid_from = rd.date(j, "valid_from");
  r.valid_until = rd.date(j, "valid_until");
  if (r.valid_until < r.valid_from) throw rd.bad("valid_until", "is before valid_from");
  r.revocation = rd.str(j, "revocation");
  const std::string path = rd.str(j, "path");
  if (path == "spoken") {
    if (j.contains("attestation")) throw rd.bad("attestation", "is not allowed on the spoken path");
    const auto& s = rd.object(j, "statement");
    SpokenStatement st{rd.str(s, "text"), rd.str(s, "challenge"), rd.str(s, "audio"), rd.str(s, "audio_sha256")};
    check_relative_path(st.audio, source + ": consent record: \"statement.audio\"");
    if (st.audio_sha256.size() != 64 || !all_of(st.audio_sha256, isxdigit)) throw rd.bad("audio_sha256", "must be 64 hex digits");
    r.statement = st;
  } else if (path == "attested") {
    if (j.contains("statement")) throw rd.bad("statement", "is not allowed on the attested path");
    const auto& a = rd.object(j, "attestation");
    Attestation at{rd.str(a, "witness"), rd.str(a, "role"), rd.date(a, "date"), rd.str(a, "text"), rd.str(a, "key_id"),
                   rd.str(a, "signature")};
    r.attestation = at;
  } else {
    throw rd.bad("path", "must be \"spoken\" or \"attested\"");
  }
  const auto& s = rd.object(j, "signature");
  if (rd.str(s, "algorithm") != "ed25519") throw rd.bad("algorithm", "must be \"ed25519\"");
  r.key_id = rd.str(s, "key_id");
  r.signature = rd.str(s, "value");
  return r;
}

ConsentRecord read_consent(const std::string& path) { return parse_consent(read_small_file(path, 1u << 20, "consent record"), path); }

std::string consent_json(const ConsentRecord& r) { return to_json(r, true, true).dump(2) + "\n"; }

std::string consent_compact_json(const ConsentRecord& r) { return to_json(r, true, true).dump(); }

void write_consent(const std::string& path, const ConsentRecord& r) { write_file_atomic(path, consent_json(r)); }

std::string consent_signing_text(const ConsentRecord& r) { return to_json(r, false, true).dump(); }
std::string attestation_signing_text(const ConsentRecord& r) { return to_json(r, false, false).dump(); }

void sign_consent(ConsentRecord& r, const SigningKey& studio) {
  r.key_id = studio.public_key.id();
  r.signature = sign_message(studio, consent_signing_text(r));
}

void attest_consent(ConsentRecord& r, const SigningKey& witness) {
  if (!r.attestation) throw InvalidArgument("consent record " + r.id + " has no attestation to sign");
  r.attestation->key_id = witness.public_key.id();
  r.attestation->signature = sign_message(witness, attestation_signing_text(r));
}

}  // namespace dubkit
