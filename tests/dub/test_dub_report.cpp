// The dub report (dub/dub_report.hpp): its written layout, a lossless round trip, the major
// version and format checks, and what a reader tolerates and refuses.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "dub/dub_report.hpp"
#include "support.hpp"

using namespace dubkit;
using json = nlohmann::ordered_json;

namespace {

// Every field set, the optional blocks present, one line the expert did not judge.
DubReport full_report() {
  DubReport r;
  r.output = "out/demo/presenter.es.mp4";
  r.video = "samples/presenter.mp4";
  r.script = "samples/presenter.es.srt";
  r.background = "samples/mne.wav";
  r.lang = "es";
  r.source_lang = "en";
  r.output_id = "out-0123456789abcdef01234567";
  r.voice = {"Presenter", "consent-42", "Pat <Performer>", "Harbor & Sound", {"dubbing", "lip-sync"}};
  r.fps = 25;
  r.video_seconds = 10.04;
  r.output_seconds = 10.0;
  r.frames_out = 251;
  r.frames_changed = 120;
  r.frames_silenced = 7;
  r.audio_rate = 48000;
  r.target_lufs = -23;
  r.mix = {-23.04, 4.5, -3.25, true};
  r.bed = "background";
  r.synced = true;
  r.sync_offset = -1;
  r.sync_confidence = 3.5;
  r.window_seconds = {0, 0.2, 0.4};
  r.window_confidence = {1.5, 2.25, 0.125};
  r.window_offset = {0, 1, -2};
  r.watermark_payloads = {0x1a2b3c4du, 0xffffffffu, 0};
  for (int i = 0; i < 2; ++i) {
    DubLine l;
    l.index = i + 1;
    l.start = 0.5 + 2 * i;
    l.end = l.start + 1.5;
    l.text = i == 0 ? "Hola <script>alert(1)</script> & adi\xC3\xB3s" : "Segunda \"l\xC3\xADnea\"";
    l.natural_seconds = 1.25;
    l.target_seconds = 1.375;
    l.achieved_seconds = 1.375;
    l.available_seconds = 1.75;
    l.stretch = 1.1;
    l.fit = i == 0 ? "fitted" : "borrowed";
    l.speech_start = l.start;
    l.speech_end = l.start + 1.375;
    l.resumed = i == 1;
    l.synced = i == 0;
    l.sync_offset = i == 0 ? 1 : 0;
    l.sync_confidence = i == 0 ? 2.75 : 0;
    l.sync_windows = i == 0 ? 9 : 0;
    l.watermark_payloads = {static_cast<std::uint32_t>(0x100 + i), 0x1a2b3c4du};
    r.lines.push_back(l);
  }
  r.skipped = {{3, "empty cue"}};
  r.stages = {{"plan", 0.5}, {"synthesis", 1.25}, {"sign", 0.125}, {"total", 9.5}};
  return r;
}

std::string write_text(const std::string& name, const std::string& text) {
  const std::string path = test::temp_dir("dub-report") + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::vector<std::string> keys(const json& j) {
  std::vector<std::string> out;
  for (const auto& item : j.items()) out.push_back(item.key());
  return out;
}

}  // namespace

TEST_CASE("dub report: the written layout is the one users and scripts read", "[dub]") {
  const json j = full_report().to_json();
  CHECK(keys(j) == std::vector<std::string>{"format", "version", "output", "video", "script", "background", "lang",
                                            "source_lang", "output_id", "voice", "fps", "video_seconds", "output_seconds",
                                            "frames", "audio", "sync", "watermark_payloads", "lines", "skipped", "stages"});
  CHECK(j["format"] == "dubkit-dub-report");
  CHECK(j["version"] == 1);
  CHECK(keys(j["voice"]) == std::vector<std::string>{"name", "consent", "performer", "studio", "uses"});
  CHECK(keys(j["frames"]) == std::vector<std::string>{"out", "changed", "silenced"});
  CHECK(keys(j["audio"]) ==
        std::vector<std::string>{"rate", "target_lufs", "loudness_lufs", "gain_db", "peak_dbfs", "peak_limited", "bed"});
  CHECK(j["audio"]["rate"].is_number_integer());
  CHECK(keys(j["sync"]) == std::vector<std::string>{"offset", "confidence", "window_seconds", "window_confidence", "window_offset"});
  CHECK(keys(j["lines"][0]) == std::vector<std::string>{"index", "start", "end", "text", "slot_seconds", "natural_seconds",
                                                        "target_seconds", "achieved_seconds", "available_seconds", "stretch",
                                                        "fit", "speech_start", "speech_end", "resumed", "sync_offset",
                                                        "sync_confidence", "sync_windows", "watermark_payloads"});
  CHECK(j["lines"][0]["slot_seconds"] == 1.5);
  CHECK(j["lines"][0]["sync_offset"] == 1);
  CHECK(j["lines"][1]["sync_offset"].is_null());  // not judged: no figures
  CHECK(j["lines"][1]["sync_confidence"].is_null());
  CHECK(j["lines"][0]["watermark_payloads"] == json{"00000100", "1a2b3c4d"});
  CHECK(j["watermark_payloads"] == json{"1a2b3c4d", "ffffffff", "00000000"});
  CHECK(keys(j["stages"]) == std::vector<std::string>{"plan", "synthesis", "sign", "total"});

  DubReport quiet = full_report();
  quiet.synced = false;
  quiet.mix.loudness_lufs = -std::numeric_limits<double>::infinity();  // silence
  const json q = quiet.to_json();
  CHECK(q["sync"].is_null());
  CHECK(q["audio"]["loudness_lufs"].is_null());
}

TEST_CASE("dub report: to_json, from_json, to_json gives the same report", "[dub]") {
  const DubReport r = full_report();
  const std::string text = r.to_json().dump(2);
  const DubReport back = DubReport::from_json(json::parse(text), "memory");
  CHECK(back.to_json().dump(2) == text);
  CHECK(back.voice.uses == r.voice.uses);
  CHECK(back.lines[0].synced);
  CHECK_FALSE(back.lines[1].synced);
  CHECK(back.lines[1].watermark_payloads == r.lines[1].watermark_payloads);
  CHECK(back.window_offset == r.window_offset);
  CHECK(back.stages == r.stages);

  // Through a file, as the dub job writes it: two-space indent and a final newline.
  const std::string path = test::temp_dir("dub-report") + "/x.mp4.dub.json";
  write_dub_report(path, r);
  CHECK(test::slurp(path) == text + "\n");
  CHECK(read_dub_report(path).to_json().dump(2) == text);

  // A silent mix (no loudness) is written null and read back as not known.
  DubReport quiet = r;
  quiet.mix.loudness_lufs = -std::numeric_limits<double>::infinity();
  const DubReport q = DubReport::from_json(quiet.to_json(), "memory");
  CHECK(std::isnan(q.mix.loudness_lufs));
  CHECK(q.to_json() == quiet.to_json());
}

TEST_CASE("dub report: another format or an unknown major version is refused, naming file and version", "[dub]") {
  json j = full_report().to_json();
  j["version"] = 2;
  const std::string v2 = write_text("v2.dub.json", j.dump());
  CHECK_THROWS_AS(read_dub_report(v2), FormatError);
  CHECK_THROWS_WITH(read_dub_report(v2), Catch::Contains(v2) && Catch::Contains("version 2") && Catch::Contains("reads version 1"));

  j = full_report().to_json();
  j["format"] = "dubkit-lipsync-report";
  const std::string other = write_text("other.json", j.dump());
  CHECK_THROWS_AS(read_dub_report(other), FormatError);
  CHECK_THROWS_WITH(read_dub_report(other), Catch::Contains(other) && Catch::Contains("\"format\""));

  j = full_report().to_json();
  j["version"] = "1";
  CHECK_THROWS_WITH(DubReport::from_json(j, "r.json"), Catch::Contains("r.json") && Catch::Contains("\"version\""));
  j.erase("format");
  CHECK_THROWS_AS(DubReport::from_json(j, "r.json"), FormatError);

  const std::string not_json = write_text("broken.dub.json", "{\"format\": ");
  CHECK_THROWS_WITH(read_dub_report(not_json), Catch::Contains(not_json) && Catch::Contains("not JSON"));
  CHECK_THROWS_AS(read_dub_report(test::temp_dir("dub-report") + "/missing.dub.json"), IoError);
  CHECK_THROWS_AS(DubReport::from_json(json::array(), "r.json"), FormatError);
}

TEST_CASE("dub report: a field of the wrong type is refused, naming the field", "[dub]") {
  auto refused = [](const char* field, const std::function<void(json&)>& spoil) {
    json j = full_report().to_json();
    spoil(j);
    INFO(field);
    CHECK_THROWS_AS(DubReport::from_json(j, "a.dub.json"), FormatError);
    CHECK_THROWS_WITH(DubReport::from_json(j, "a.dub.json"),
                      Catch::Contains("a.dub.json") && Catch::Contains(std::string("\"") + field + "\""));
  };
  refused("lines[1].stretch", [](json& j) { j["lines"][1]["stretch"] = "fast"; });
  refused("lines[0].start", [](json& j) { j["lines"][0]["start"] = "soon"; });
  refused("lines[0].end", [](json& j) { j["lines"][0]["end"] = 0.1; });  // before its start
  refused("lines[1].start", [](json& j) { j["lines"][1].erase("start"); });
  refused("lines[0].resumed", [](json& j) { j["lines"][0]["resumed"] = 1; });
  refused("lines[0].watermark_payloads", [](json& j) { j["lines"][0]["watermark_payloads"] = json{"xyz"}; });
  refused("lines[0].index", [](json& j) { j["lines"][0]["index"] = 1e12; });
  refused("lines[1]", [](json& j) { j["lines"][1] = "a line"; });
  refused("voice.uses", [](json& j) { j["voice"]["uses"] = json{"dubbing", 3}; });
  refused("voice", [](json& j) { j["voice"] = "Pat"; });
  refused("fps", [](json& j) { j["fps"] = "25"; });
  refused("frames.out", [](json& j) { j["frames"]["out"] = -1; });
  refused("audio.peak_limited", [](json& j) { j["audio"]["peak_limited"] = "no"; });
  refused("sync.window_offset", [](json& j) { j["sync"]["window_offset"] = json{0, "1"}; });
  refused("skipped[0].reason", [](json& j) { j["skipped"][0]["reason"] = 7; });
  refused("stages.plan", [](json& j) { j["stages"]["plan"] = "fast"; });
  refused("lines", [](json& j) { j["lines"] = json::object(); });
}

TEST_CASE("dub report: missing optional fields read as not known, unknown fields are ignored", "[dub]") {
  const json j = {{"format", "dubkit-dub-report"},
                  {"version", 1},
                  {"added_in_a_minor_version", {{"anything", true}}},
                  {"sync", {{"confidence", 2.5}, {"window_seconds", {0.0, 0.2}}, {"window_confidence", {1.0, 2.0}}}},
                  {"lines", {{{"start", 0.5}, {"end", 1.5}, {"sync_confidence", 1.25}, {"watermark_payloads", {305419896}}},
                             {{"index", 7}, {"start", 2.0}, {"end", 3.0}, {"sync_offset", nullptr}}}}};
  const DubReport r = DubReport::from_json(j, "hand-made.json");
  CHECK(r.output.empty());
  CHECK(r.voice.uses.empty());
  CHECK(std::isnan(r.fps));
  CHECK(std::isnan(r.mix.loudness_lufs));
  CHECK(r.audio_rate == 0);
  CHECK(r.frames_out == 0);
  CHECK_FALSE(r.synced);  // no offset: no sync figures, though the windows are there
  CHECK(r.sync_confidence == 2.5);
  CHECK(r.window_seconds.size() == 2);
  REQUIRE(r.lines.size() == 2);
  CHECK(r.lines[0].index == 1);  // its position
  CHECK(r.lines[1].index == 7);
  CHECK(r.lines[0].slot_seconds() == 1.0);
  CHECK(std::isnan(r.lines[0].achieved_seconds));
  CHECK_FALSE(r.lines[0].synced);
  CHECK(r.lines[0].sync_confidence == 1.25);
  CHECK_FALSE(r.lines[1].synced);  // null offset
  CHECK(r.lines[0].watermark_payloads == std::vector<std::uint32_t>{0x12345678u});  // numbers are accepted too
  CHECK(r.skipped.empty());
  CHECK(r.stages.empty());
}
