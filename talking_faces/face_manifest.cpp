// The talking-face manifest (talking_faces/talking_faces.hpp): one FaceClip per JSON line.
#include <cmath>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "corpus/manifest.hpp"
#include "talking_faces/talking_faces.hpp"

namespace dubkit {

std::string to_json_line(const FaceClip& c) {
  nlohmann::ordered_json j;
  j["id"] = c.id;
  j["split"] = c.split;
  j["utterance"] = c.utterance;
  j["audio"] = c.audio;
  j["video"] = c.video;
  j["crops"] = c.crops;
  j["identity"] = c.identity;
  j["face_size"] = c.face_size;
  j["fps"] = c.fps;
  nlohmann::ordered_json times = nlohmann::ordered_json::array();
  for (double t : c.times) times.push_back(std::round(t * 1e6) / 1e6);
  j["times"] = std::move(times);
  std::string valid;
  for (bool v : c.valid) valid += v ? '1' : '0';
  j["valid"] = valid;
  return j.dump();
}

FaceClip parse_face_clip(const std::string& line, const std::string& where) {
  try {
    const nlohmann::json j = nlohmann::json::parse(line);
    FaceClip c;
    for (auto [field, dest] : {std::pair{"id", &c.id}, {"split", &c.split}, {"utterance", &c.utterance},
                               {"audio", &c.audio}, {"video", &c.video}, {"crops", &c.crops}})
      *dest = j.at(field).get<std::string>();
    for (const std::string* p : {&c.audio, &c.video, &c.crops})
      if (p->empty() || p->front() == '/' || p->find("..") != std::string::npos)
        throw FormatError(where + ": path '" + *p + "' must be relative, inside its corpus");
    c.identity = j.at("identity").get<std::uint64_t>();
    c.face_size = j.at("face_size").get<int>();
    c.fps = j.at("fps").get<double>();
    c.times = j.at("times").get<std::vector<double>>();
    const std::string valid = j.at("valid").get<std::string>();
    if (valid.size() != c.times.size())
      throw FormatError(where + ": " + std::to_string(valid.size()) + " valid flags for " + std::to_string(c.times.size()) + " frames");
    for (char v : valid) {
      if (v != '0' && v != '1') throw FormatError(where + ": valid flags must be '0' or '1'");
      c.valid.push_back(v == '1');
    }
    if (c.face_size < 16 || c.face_size > 1024) throw FormatError(where + ": face_size " + std::to_string(c.face_size) + " is outside 16..1024");
    if (!(c.fps > 0 && c.fps <= 1000)) throw FormatError(where + ": fps must be in (0, 1000]");
    if (c.times.empty() || c.times.size() > 1'000'000) throw FormatError(where + ": a clip needs 1..1000000 frames");
    for (std::size_t i = 1; i < c.times.size(); ++i)
      if (!(c.times[i] > c.times[i - 1])) throw FormatError(where + ": frame times must increase (frame " + std::to_string(i) + ")");
    return c;
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(where + ": " + e.what());
  }
}

std::vector<FaceClip> read_face_clips(const std::string& dir) {
  std::vector<FaceClip> out;
  for (const auto& [line, where] : read_json_lines(dir + "/manifest.jsonl", "make the clips with 'dubkit corpus faces'"))
    out.push_back(parse_face_clip(line, where));
  return out;
}

}  // namespace dubkit
