#include "voice/voice_profile.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace dubkit {

namespace {

constexpr std::size_t kMaxAdaptationFiles = 4096;
constexpr std::size_t kMaxTensors = 32;
constexpr std::size_t kMaxTensorValues = 65536;
constexpr const char* kFileNameRule = "must be a file name without folders: 1..255 bytes, no '/' or '\\', not '.' or '..'";
constexpr const char* kSha256Rule = "must be 64 lowercase hex digits";

// A name the profile records, never a path: joined to a folder it stays inside it.
bool is_file_name(const std::string& s) {
  return !s.empty() && s.size() <= 255 && s != "." && s != ".." && s.find_first_of("/\\") == std::string::npos;
}

bool is_sha256(const std::string& s) {
  return s.size() == 64 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool is_tensor_name(const std::string& s) {
  auto lower_or_underscore = [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; };
  return !s.empty() && s.size() <= 64 && lower_or_underscore(s[0]) &&
         std::all_of(s.begin(), s.end(), [&](char c) { return lower_or_underscore(c) || (c >= '0' && c <= '9'); });
}

nlohmann::json adaptation_json(const VoiceAdaptation& a) {
  if (a.files.size() != a.sha256.size())
    throw InvalidArgument("voice profile: adaptation lists " + std::to_string(a.files.size()) + " files but " +
                          std::to_string(a.sha256.size()) + " sha256");
  if (a.parameters.empty()) throw InvalidArgument("voice profile: adaptation without parameters");
  nlohmann::json params = nlohmann::json::object();
  for (const auto& [name, values] : a.parameters) {
    if (values.empty() || !std::all_of(values.begin(), values.end(), [](float x) { return std::isfinite(x); }))
      throw InvalidArgument("voice profile: adaptation parameter '" + name + "' is empty or not finite");
    params[name] = std::vector<double>(values.begin(), values.end());  // doubles of the floats, as the embedding
  }
  return {{"synthesizer", a.synthesizer}, {"synthesizer_sha256", a.synthesizer_sha256}, {"files", a.files},
          {"sha256", a.sha256}, {"speech_seconds", a.speech_seconds}, {"steps", a.steps}, {"parameters", params}};
}

// The "adaptation" object of a version 3 profile, from untrusted input.
VoiceAdaptation parse_adaptation(const nlohmann::json& a, const std::string& source) {
  auto bad = [&](const std::string& field, const std::string& what) {
    return FormatError(source + ": voice profile: \"adaptation" + (field.empty() ? "" : "." + field) + "\" " + what);
  };
  if (!a.is_object()) throw bad("", "must be an object");
  auto member = [&](const char* key) -> const nlohmann::json& {
    if (!a.contains(key)) throw bad(key, "is missing");
    return a[key];
  };
  auto text = [&](const nlohmann::json& v, const std::string& field, bool (*valid)(const std::string&), const char* rule) {
    if (!v.is_string() || !valid(v.get_ref<const std::string&>())) throw bad(field, rule);
    return v.get<std::string>();
  };
  auto texts = [&](const char* key, bool (*valid)(const std::string&), const char* rule) {
    const nlohmann::json& list = member(key);
    if (!list.is_array() || list.empty() || list.size() > kMaxAdaptationFiles)
      throw bad(key, "must be an array of 1.." + std::to_string(kMaxAdaptationFiles) + " strings");
    std::vector<std::string> out;
    for (const auto& v : list) out.push_back(text(v, key, valid, rule));
    return out;
  };
  VoiceAdaptation ad;
  ad.synthesizer = text(member("synthesizer"), "synthesizer", is_file_name, kFileNameRule);
  ad.synthesizer_sha256 = text(member("synthesizer_sha256"), "synthesizer_sha256", is_sha256, kSha256Rule);
  ad.files = texts("files", is_file_name, kFileNameRule);
  ad.sha256 = texts("sha256", is_sha256, kSha256Rule);
  if (ad.sha256.size() != ad.files.size())
    throw bad("sha256", "has " + std::to_string(ad.sha256.size()) + " entries for " + std::to_string(ad.files.size()) + " files");
  const nlohmann::json& seconds = member("speech_seconds");
  if (!seconds.is_number() || !std::isfinite(seconds.get<double>()) || seconds.get<double>() < 0)
    throw bad("speech_seconds", "must be a finite number >= 0");
  ad.speech_seconds = seconds.get<double>();
  // JSON reads a non-negative integer as unsigned, a negative one as signed.
  const nlohmann::json& steps = member("steps");
  if (!steps.is_number_integer() || (steps.is_number_unsigned() ? steps.get<std::uint64_t>() > std::numeric_limits<long>::max()
                                                                 : steps.get<std::int64_t>() < 0))
    throw bad("steps", "must be an integer >= 0");
  ad.steps = steps.get<long>();
  const nlohmann::json& params = member("parameters");
  if (!params.is_object() || params.empty() || params.size() > kMaxTensors)
    throw bad("parameters", "must be an object of 1.." + std::to_string(kMaxTensors) + " tensors");
  for (auto it = params.begin(); it != params.end(); ++it) {
    if (!is_tensor_name(it.key()))
      throw bad("parameters",
                "holds the name '" + it.key().substr(0, 64) + "' (names are [a-z_][a-z0-9_]*, at most 64 characters)");
    const std::string field = "parameters." + it.key();
    if (!it.value().is_array() || it.value().empty() || it.value().size() > kMaxTensorValues)
      throw bad(field, "must be an array of 1.." + std::to_string(kMaxTensorValues) + " numbers");
    std::vector<float>& values = ad.parameters[it.key()];
    values.reserve(it.value().size());
    for (const auto& v : it.value()) {
      if (!v.is_number()) throw bad(field, "holds a non-number");
      // Checked after the cast: a finite double such as 1e39 is no finite float.
      const float x = static_cast<float>(v.get<double>());
      if (!std::isfinite(x)) throw bad(field, "holds a value that is not a finite 32-bit float");
      values.push_back(x);
    }
  }
  return ad;
}

nlohmann::json to_json(const VoiceProfile& p, bool with_signature) {
  if (p.embedding.empty()) throw InvalidArgument("voice profile: empty embedding");
  if (p.consent.empty()) throw InvalidArgument("voice profile: no voice without a consent record");
  nlohmann::json j;
  j["format"] = VoiceProfile::kFormat;
  j["version"] = p.adaptation ? VoiceProfile::kAdaptedVersion : VoiceProfile::kVersion;
  j["name"] = p.name;
  j["created"] = p.created;
  j["encoder"] = p.encoder;
  // Doubles of the floats: parsed back and cast, they give the same floats, so the signed text
  // can be remade exactly.
  j["embedding"] = std::vector<double>(p.embedding.begin(), p.embedding.end());
  j["enrollment"] = {{"files", p.enrollment_files}, {"sha256", p.enrollment_sha256}, {"speech_seconds", p.speech_seconds}};
  j["statement_similarity"] = std::isnan(p.statement_similarity) ? nlohmann::json() : nlohmann::json(p.statement_similarity);
  if (p.adaptation) j["adaptation"] = adaptation_json(*p.adaptation);
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
  if (!j.contains("version") || !j["version"].is_number_integer() ||
      (j["version"].get<long>() != VoiceProfile::kVersion && j["version"].get<long>() != VoiceProfile::kAdaptedVersion))
    throw bad("unsupported \"version\" (this build reads versions 2 and 3)");
  const bool adapted = j["version"].get<long>() == VoiceProfile::kAdaptedVersion;
  if (j.contains("adaptation") != adapted)
    throw bad(adapted ? "\"version\" 3 is an adapted profile, but \"adaptation\" is missing"
                      : "\"adaptation\" needs \"version\" 3 (version 2 profiles are not adapted)");
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
  if (adapted) p.adaptation = parse_adaptation(j["adaptation"], source);
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
