#include "corpus/manifest.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace dubkit {

std::string to_json_line(const CorpusUtterance& u) {
  nlohmann::ordered_json j;
  j["id"] = u.id;
  j["path"] = u.path;
  j["speaker"] = u.speaker;
  j["split"] = u.split;
  j["lang"] = u.lang;
  j["base_voice"] = u.base_voice;
  j["text"] = u.text;
  j["phonemes"] = u.phonemes;
  j["duration"] = std::round(u.duration * 1e4) / 1e4;
  if (u.source_rate > 0) j["source_rate"] = u.source_rate;
  nlohmann::ordered_json phones = nlohmann::ordered_json::array();
  for (const PhoneSpan& p : u.phones)
    phones.push_back({p.phone, std::round(p.start * 1e4) / 1e4, std::round(p.end * 1e4) / 1e4});
  j["phones"] = std::move(phones);
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

CorpusUtterance parse_manifest_line(const std::string& line, const std::string& where) {
  try {
    const nlohmann::json j = nlohmann::json::parse(line);
    CorpusUtterance u;
    for (auto [field, dest] : {std::pair{"id", &u.id}, {"path", &u.path}, {"speaker", &u.speaker}, {"split", &u.split},
                               {"lang", &u.lang}, {"base_voice", &u.base_voice}, {"text", &u.text},
                               {"phonemes", &u.phonemes}})
      *dest = j.at(field).get<std::string>();
    u.duration = j.at("duration").get<double>();
    u.source_rate = j.value("source_rate", 0);
    for (const auto& p : j.at("phones")) {
      if (!p.is_array() || p.size() != 3) throw FormatError(where + ": a phone must be [name, start, end]");
      u.phones.push_back({p[0].get<std::string>(), p[1].get<double>(), p[2].get<double>()});
    }
    if (u.path.empty() || u.path.front() == '/' || u.path.find("..") != std::string::npos)
      throw FormatError(where + ": path '" + u.path + "' must be relative, inside the corpus");
    if (!(u.duration > 0)) throw FormatError(where + ": duration must be positive");
    return u;
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(where + ": " + e.what());
  }
}

std::vector<std::pair<std::string, std::string>> read_json_lines(const std::string& path, const std::string& how_to_make) {
  std::ifstream f(path);
  if (!f) throw IoError("cannot read '" + path + "' (" + how_to_make + ")");
  std::vector<std::pair<std::string, std::string>> out;
  int n = 0;
  for (std::string line; std::getline(f, line);) {
    ++n;
    if (!line.empty()) out.emplace_back(std::move(line), path + ":" + std::to_string(n));
  }
  return out;
}

std::string corpus_audio_path(const std::string& corpus_dir, const CorpusUtterance& u, int rate) {
  std::string path = corpus_dir + "/" + u.path;
  if (rate != 16000) {
    if (u.path.rfind("wav/", 0) != 0)
      throw FormatError(corpus_dir + ": utterance " + u.id + " is not under wav/, so it has no " + std::to_string(rate) + " Hz copy");
    path = corpus_dir + "/wav" + std::to_string(rate) + u.path.substr(3);
  }
  if (!std::filesystem::exists(path))
    throw IoError(path + ": missing; the corpus needs its " + std::to_string(rate) +
                  " Hz audio (build it with --rates 16000," + std::to_string(rate) + ")");
  return path;
}

std::vector<CorpusUtterance> read_manifest(const std::string& corpus_dir) {
  std::vector<CorpusUtterance> out;
  for (const auto& [line, where] : read_json_lines(corpus_dir + "/manifest.jsonl", "build the corpus with 'dubkit corpus build'"))
    out.push_back(parse_manifest_line(line, where));
  return out;
}

std::map<std::string, std::string> read_speaker_groups(const std::string& corpus_dir) {
  const std::string path = corpus_dir + "/speakers.json";
  std::map<std::string, std::string> groups;
  std::ifstream f(path);
  if (!f) return groups;
  const auto j = nlohmann::json::parse(f, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) throw FormatError(path + ": not a JSON array of speakers");
  for (const auto& e : j)
    if (e.is_object() && e.contains("id") && e.contains("group") && e["id"].is_string() && e["group"].is_string())
      groups[e["id"].get<std::string>()] = e["group"].get<std::string>();
  return groups;
}

}  // namespace dubkit
