#include "voice/voice_profile.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace dubkit {

namespace {

nlohmann::json to_json(const VoiceProfile& p, bool with_signature) {
  if (p.embedding.empty()) throw InvalidArgument("voice profile: empty embedding");
  if (p.consent.empty()) throw InvalidArgument("voice profile: no voice without a consent record");
  nlohmann::json j;
  j["format"] = VoiceProfile::kFormat;
  j["version"] = VoiceProfile::kVersion;
  j["name"] = p.name;
  j["created"] = p.created;
  j["encoder"] = p.encoder;
  // Doubles of the floats: parsed back and cast, they give the same floats, so the signed text
  // can be remade exactly.
  j["embedding"] = std::vector<double>(p.embedding.begin(), p.embedding.end());
  j["enrollment"] = {{"files", p.enrollment_files}, {"sha256", p.enrollment_sha256}, {"speech_seconds", p.speech_seconds}};
  j["statement_similarity"] = std::isnan(p.statement_similarity) ? nlohmann::json() : nlohmann::json(p.statement_similarity);
  j["consent"] = nlohmann::json::parse(p.consent, nullptr, false);
  if (j["consent"].is_discarded() || !j["consent"].is_object()) throw InvalidArgument("voice profile: consent is not a JSON object");
  if (with_signature) {
    if (p.signature.empty()) throw InvalidArgument("voice profile: unsigned");
    j["signature"] = {{"algorithm", "ed25519"}, {"key_id", p.key_id}, {"value", p.signature}};
  }
  return j;
}

}  // namespace

std::string voice_profile_json(const VoiceProfile& p) { return to_json(p, true).dump(2) + "\n"; }

std::string voice_profile_signing_text(const VoiceProfile& p) { return to_json(p, false).dump(); }

VoiceProfile parse_voice_profile(const std::string& json, const std::string& source) {
  const auto j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  auto bad = [&](const std::string& what) { return FormatError(source + ": voice profile: " + what); };
  if (!j.is_object()) throw bad("not a JSON object");
  if (!j.contains("format") || j["format"] != VoiceProfile::kFormat) throw bad("\"format\" is not \"dubkit-voice\"");
  if (j.contains("version") && j["version"] == 1)
    throw bad("version 1 was made before signed consent records: enroll the voice again with --consent RECORD.json");
  if (!j.contains("version") || !j["version"].is_number_integer() || j["version"].get<long>() != VoiceProfile::kVersion)
    throw bad("unsupported \"version\" (this build reads version 2)");
  auto str = [&](const nlohmann::json& o, const char* key) {
    if (!o.contains(key) || !o[key].is_string() || o[key].get<std::string>().size() > 4096)
      throw bad(std::string("\"") + key + "\" must be a string of at most 4096 bytes");
    return o[key].get<std::string>();
  };
  VoiceProfile p;
  p.name = str(j, "name");
  p.created = str(j, "created");
  p.encoder = str(j, "encoder");
  if (!j.contains("embedding") || !j["embedding"].is_array() || j["embedding"].empty() || j["embedding"].size() > 4096)
    throw bad("\"embedding\" must be an array of 1..4096 numbers");
  double norm = 0;
  for (const auto& v : j["embedding"]) {
    if (!v.is_number()) throw bad("\"embedding\" holds a non-number");
    const double x = v.get<double>();
    if (!std::isfinite(x)) throw bad("\"embedding\" holds a non-finite value");
    p.embedding.push_back(static_cast<float>(x));
    norm += x * x;
  }
  if (std::abs(std::sqrt(norm) - 1.0) > 1e-3) throw bad("\"embedding\" is not of unit length");
  if (!j.contains("enrollment") || !j["enrollment"].is_object()) throw bad("\"enrollment\" must be an object");
  const auto& e = j["enrollment"];
  for (const char* key : {"files", "sha256"}) {
    if (!e.contains(key) || !e[key].is_array() || e[key].size() > 1024) throw bad(std::string("\"enrollment.") + key + "\" must be an array");
    for (const auto& f : e[key]) {
      if (!f.is_string() || f.get<std::string>().size() > 4096) throw bad(std::string("\"enrollment.") + key + "\" holds a non-string");
      (key[0] == 'f' ? p.enrollment_files : p.enrollment_sha256).push_back(f.get<std::string>());
    }
  }
  if (!e.contains("speech_seconds") || !e["speech_seconds"].is_number()) throw bad("\"enrollment.speech_seconds\" must be a number");
  p.speech_seconds = e["speech_seconds"].get<double>();
  if (!j.contains("statement_similarity") || !(j["statement_similarity"].is_number() || j["statement_similarity"].is_null()))
    throw bad("\"statement_similarity\" must be a number or null");
  if (j["statement_similarity"].is_number()) p.statement_similarity = j["statement_similarity"].get<double>();
  if (!j.contains("consent") || !j["consent"].is_object()) throw bad("\"consent\" must be the consent record: no voice without consent");
  p.consent = j["consent"].dump();
  if (!j.contains("signature") || !j["signature"].is_object()) throw bad("\"signature\" is missing: the profile is unsigned");
  p.key_id = str(j["signature"], "key_id");
  p.signature = str(j["signature"], "value");
  return p;
}

VoiceProfile read_voice_profile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw IoError(path + ": cannot open voice profile");
  std::error_code ec;
  if (std::filesystem::file_size(path, ec) > (1u << 20) && !ec) throw FormatError(path + ": voice profile larger than 1 MiB");
  std::ostringstream s;
  s << f.rdbuf();
  return parse_voice_profile(s.str(), path);
}

void write_voice_profile(const std::string& path, const VoiceProfile& profile) {
  write_file_atomic(path, voice_profile_json(profile));
}

}  // namespace dubkit
