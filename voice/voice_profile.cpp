#include "voice/voice_profile.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace dubkit {

std::string voice_profile_json(const VoiceProfile& p) {
  if (p.embedding.empty()) throw InvalidArgument("voice profile: empty embedding");
  if (p.consent_reference.empty()) throw InvalidArgument("voice profile: a consent reference is required");
  nlohmann::ordered_json j;
  j["format"] = VoiceProfile::kFormat;
  j["version"] = VoiceProfile::kVersion;
  j["name"] = p.name;
  j["created"] = p.created;
  j["encoder"] = p.encoder;
  j["embedding"] = p.embedding;
  j["enrollment"] = {{"files", p.enrollment_files}, {"speech_seconds", p.speech_seconds}};
  j["consent"] = {{"reference", p.consent_reference}, {"verified", p.consent_verified}};
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

VoiceProfile parse_voice_profile(const std::string& json, const std::string& source) {
  const auto j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  auto bad = [&](const std::string& what) { return FormatError(source + ": voice profile: " + what); };
  if (!j.is_object()) throw bad("not a JSON object");
  if (!j.contains("format") || j["format"] != VoiceProfile::kFormat) throw bad("\"format\" is not \"dubkit-voice\"");
  if (!j.contains("version") || !j["version"].is_number_integer() || j["version"].get<long>() != VoiceProfile::kVersion)
    throw bad("unsupported \"version\" (this build reads version 1)");
  auto str = [&](const nlohmann::json& o, const char* key) {
    if (!o.contains(key) || !o[key].is_string()) throw bad(std::string("\"") + key + "\" must be a string");
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
  if (!e.contains("files") || !e["files"].is_array()) throw bad("\"enrollment.files\" must be an array");
  for (const auto& f : e["files"]) {
    if (!f.is_string()) throw bad("\"enrollment.files\" holds a non-string");
    p.enrollment_files.push_back(f.get<std::string>());
  }
  if (!e.contains("speech_seconds") || !e["speech_seconds"].is_number()) throw bad("\"enrollment.speech_seconds\" must be a number");
  p.speech_seconds = e["speech_seconds"].get<double>();
  if (!j.contains("consent") || !j["consent"].is_object()) throw bad("\"consent\" must be an object");
  p.consent_reference = str(j["consent"], "reference");
  if (p.consent_reference.empty()) throw bad("\"consent.reference\" is empty: no voice without consent");
  if (!j["consent"].contains("verified") || !j["consent"]["verified"].is_boolean())
    throw bad("\"consent.verified\" must be true or false");
  p.consent_verified = j["consent"]["verified"].get<bool>();
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
