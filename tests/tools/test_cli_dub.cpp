// End-to-end: `dubkit dub` on a tiny synthetic presenter clip with the default models, then
// `dubkit verify` and `dubkit review` on its output; bad scripts, scopes and videos.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support.hpp"
#include "tools/cli_support.hpp"
#include "video/video_reader.hpp"
#include "video/video_writer.hpp"

using namespace dubkit;
using test::Result;
using test::run_dubkit;
using test::Studio;
using test::studio;
namespace fs = std::filesystem;

namespace {

// A two-line presenter clip (320x240) with its English and Spanish scripts, a voice profile
// enrolled under the studio's consent (dubbing and lip-sync, en and es), made once.
struct Presenter {
  std::string dir, clip, en, es, profile;
};

const Presenter& presenter() {
  static const Presenter p = [] {
    Studio& s = studio();
    Presenter p;
    p.dir = test::temp_dir("cli-dub");
    const std::string tsv = p.dir + "/lines.tsv";
    std::ofstream(tsv) << "en\tes\nThe boats stayed in today.\tLos barcos se quedaron hoy.\n"
                          "The sea will be calm tomorrow.\tEl mar estara tranquilo manana.\n";
    p.clip = p.dir + "/presenter.mp4";
    REQUIRE(run_dubkit({"corpus", "presenter", "--lines", tsv, "-o", p.clip, "--width", "320", "--height", "240",
                        "--lead", "0.5", "--gap", "1.0", "--tail", "0.6"}).code == 0);
    p.en = p.dir + "/presenter.en.srt";
    p.es = p.dir + "/presenter.es.srt";
    p.profile = p.dir + "/actor.voice";
    REQUIRE(run_dubkit(s.with_keys({"voice", "enroll", "--audio", test::sample_wav(), "--consent", s.consent, "-o", p.profile})).code == 0);
    return p;
  }();
  return p;
}

std::vector<std::string> dub_args(const std::string& script, const std::string& out, std::vector<std::string> extra = {}) {
  const Presenter& p = presenter();
  const Studio& s = studio();
  std::vector<std::string> a = {"dub", "--video", p.clip, "--voice", p.profile, "--script", script, "-o", out,
                                "--render-log", s.log};
  a.insert(a.end(), extra.begin(), extra.end());
  return s.with_keys(a);
}

std::string write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

}  // namespace

TEST_CASE("dub: a presenter clip in Spanish, verified, resumed and reviewed", "[e2e][dub]") {
  const Presenter& p = presenter();
  const Studio& s = studio();
  const std::string out = p.dir + "/es.mp4";
  const Result r = run_dubkit(dub_args(p.es, out, {"--lang", "es", "--keep-work", "--json"}), 300);
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["format"] == "dubkit-dub-report");
  CHECK(j["lang"] == "es");
  REQUIRE(j["lines"].size() == 2);
  for (const auto& l : j["lines"]) {
    // Every line within its slot, or in the pause after it that the policy allows.
    CHECK(l["speech_start"].get<double>() == Approx(l["start"].get<double>()));
    CHECK(l["achieved_seconds"].get<double>() <= l["available_seconds"].get<double>() + 1e-6);
    CHECK(l["achieved_seconds"].get<double>() == Approx(l["target_seconds"].get<double>()).margin(1.0 / 16000));
    CHECK((l["fit"] == "fitted" || l["fit"] == "borrowed" || l["fit"] == "short"));
    CHECK(l["watermark_payloads"].size() >= 1);
  }
  CHECK(j["audio"]["rate"] == 48000);
  CHECK(j["audio"]["loudness_lufs"].get<double>() == Approx(-23).margin(0.1));
  CHECK(j["frames"]["changed"].get<long>() > 0);
  CHECK(j["frames"]["changed"].get<long>() < j["frames"]["out"].get<long>());  // original frames outside the lines
  REQUIRE(j["sync"].is_object());
  CHECK(std::abs(j["sync"]["offset"].get<int>()) <= 1);
  CHECK(j["sync"]["window_seconds"].size() == j["sync"]["window_confidence"].size());

  // The output: 48 kHz AAC, the input's frame count and size, signed, marked.
  VideoReader reader(out);
  CHECK(reader.info().audio_rate == 48000);
  CHECK(reader.info().width == 320);
  const Result v = run_dubkit(s.with_keys({"verify", out, "--render-log", s.log, "--json"}));
  INFO(v.out << v.err);
  REQUIRE(v.code == 0);
  const auto vj = nlohmann::json::parse(v.out);
  CHECK(vj["manifest"]["status"] == "valid");
  CHECK(vj["watermark"]["blocks_found"].get<long>() >= 2);
  // The re-rendered frames carry the mark too, with the sound's payloads (issue 22 item 17).
  CHECK(vj["frames_watermark"]["seconds_found"].get<long>() >= 1);
  for (const auto& second : vj["frames_watermark"]["seconds"])
    if (second["found"].get<bool>()) CHECK(second["in_manifest"].get<bool>());
  CHECK(fs::exists(out + ".work/lines/0001.wav"));

  // Measured from the file by other tools: phones heard (Spanish), voice, slots, sync, marks.
  const Result checked = run_dubkit({"dub-check", out, "--enrollment", test::sample_wav(), "--key", s.key, "--json"}, 300);
  INFO(checked.out << checked.err);
  REQUIRE(checked.code == 0);
  const auto c = nlohmann::json::parse(checked.out);
  CHECK(c["measure"] == "per");
  REQUIRE(c["lines"].size() == 2);
  CHECK_FALSE(c["lines"][0]["heard"].get<std::string>().empty());
  CHECK(c["per"].get<double>() < 1.5);
  CHECK(c["reference_per"].is_number());  // espeak-ng's voice through the same recogniser
  CHECK(c["voice_similarity"].get<double>() > 0);
  CHECK(c["voiced_outside_slots"] == 0);
  CHECK(std::abs(c["sync_offset"].get<int>()) <= 1);
  CHECK(c["blocks_marked"].get<long>() >= 2);

  // Resume: the finished lines are reused, not made again.
  const Result again = run_dubkit(dub_args(p.es, p.dir + "/es2.mp4", {"--lang", "es", "--resume", "--work-dir", out + ".work", "--json"}), 300);
  REQUIRE(again.code == 0);
  for (const auto& l : nlohmann::json::parse(again.out)["lines"]) CHECK(l["resumed"] == true);
  CHECK_FALSE(fs::exists(out + ".work"));  // removed after success without --keep-work

  // The review page.
  const std::string review = p.dir + "/review";
  const Result page = run_dubkit({"review", out, "-o", review, "--trust", s.trust, "--json"}, 120);
  INFO(page.out << page.err);
  REQUIRE(page.code == 0);
  CHECK(nlohmann::json::parse(page.out)["lines"] == 2);
  CHECK(nlohmann::json::parse(page.out)["provenance"] == "valid");
  const std::string html = test::slurp(review + "/index.html");
  CHECK(html.find("Los barcos se quedaron hoy.") != std::string::npos);
}

TEST_CASE("dub: bad scripts, scopes and videos", "[e2e][dub][bad-input]") {
  const Presenter& p = presenter();
  const std::string d = p.dir, out = p.dir + "/bad.mp4";
  auto fails = [&](const std::vector<std::string>& args, int code, const std::string& says) {
    const Result r = run_dubkit(args, 300);
    INFO(r.out << r.err);
    CHECK(r.code == code);
    CHECK(r.err.find(says) != std::string::npos);
    CHECK_FALSE(fs::exists(out));
  };
  fails(dub_args(write_text(d + "/overlap.srt", "1\n00:00:00,500 --> 00:00:02,000\nOne.\n\n2\n00:00:01,500 --> 00:00:03,000\nTwo.\n"), out),
        1, "overlaps cue 2");
  fails(dub_args(write_text(d + "/late.srt", "1\n00:00:00,500 --> 00:00:01,500\nOne.\n\n2\n00:00:04,000 --> 00:00:19,000\nTwo.\n"), out),
        2, "cues end after the video");
  fails(dub_args(write_text(d + "/latin1.srt", "1\n00:00:00,500 --> 00:00:02,000\nAdi\xf3s.\n"), out, {"--lang", "es"}), 1,
        "is not UTF-8 (byte 0xF3");
  fails(dub_args(write_text(d + "/empty.srt", ""), out), 1, "no line to speak");
  fails(dub_args(p.en, out, {"--lang", "de"}), 1, "does not cover the language 'de'");
  fails(dub_args(write_text(d + "/long.srt", "1\n00:00:00,500 --> 00:00:01,000\nThis line is far too long to be spoken in half a second.\n"),
                 out, {"--overflow", "fail"}),
        2, "needs");
  fails(dub_args(p.en, p.clip), 2, "must not be one of the inputs");

  // Cues with no text left are skipped and listed; markup is removed.
  const std::string tagged = write_text(d + "/tagged.vtt", "WEBVTT\n\n00:00.500 --> 00:02.000\n<v Anna><i>The boats</i> stayed in &amp; rested.\n\n"
                                                          "00:02.500 --> 00:02.900\n<i></i>\n");
  const Result ok = run_dubkit(dub_args(tagged, d + "/tagged.mp4", {"--json", "--no-silence-gate"}), 300);
  INFO(ok.out << ok.err);
  REQUIRE(ok.code == 0);
  const auto j = nlohmann::json::parse(ok.out);
  REQUIRE(j["lines"].size() == 1);
  CHECK(j["lines"][0]["text"] == "The boats stayed in & rested.");
  REQUIRE(j["skipped"].size() == 1);
  CHECK(j["skipped"][0]["index"] == 2);

  // A video without a face is dubbed audio only, with a warning.
  const std::string room = d + "/room.mp4";
  {
    Waveform tone{16000, std::vector<float>(16000 * 8, 0.f)};
    VideoWriter w(room, 160, 120, tone);
    for (int i = 0; i < 200; ++i) w.write(cv::Mat(120, 160, CV_8UC3, cv::Scalar(90, 120, 150)), i / 25.0);
    w.finish();
  }
  const Result faceless = run_dubkit(studio().with_keys({"dub", "--video", room, "--voice", p.profile, "--script", p.en, "-o",
                                                        d + "/room_dub.mp4", "--render-log", studio().log}), 300);
  INFO(faceless.out << faceless.err);
  CHECK(faceless.code == 0);
  CHECK(faceless.err.find("no face was tracked") != std::string::npos);
}
