// End-to-end: dubkit faces, lipsync and sync score on synthetic talking-face clips made here,
// with tiny random-weight networks (the commands' plumbing, not the models' quality: that is
// `dubkit sync redrive` on the trained defaults, reported in models/lipsync.md).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "audio/io.hpp"
#include "core/safetensors.hpp"
#include "core/torch_bridge.hpp"
#include "lipsync/tiny_media.hpp"
#include "support.hpp"
#include "sync/csv.hpp"
#include "sync/syncnet_v2.hpp"
#include "talking_faces/synthetic_face.hpp"
#include "tools/cli_support.hpp"
#include "video/video_reader.hpp"
#include "video/video_writer.hpp"

using namespace dubkit;
using test::Result;
using test::run_dubkit;
namespace fs = std::filesystem;

namespace {

// Speech-like test audio: the DSP tests' tone with its slow envelope.
Waveform speech(double seconds) { return test::test_tone(16000, seconds, 180.0); }

// `seconds` of 25 fps video: one synthetic face per identity, side by side, mouths opening and
// closing at 3 Hz; `with_audio` muxes speech of the same length.
void write_clip(const std::string& path, const std::vector<std::uint64_t>& identities, cv::Size face_frame, double seconds,
                bool with_audio) {
  const int frames = static_cast<int>(std::lround(seconds * 25));
  const cv::Size size(face_frame.width * std::max<int>(1, identities.size()), face_frame.height);
  VideoWriter w(path, size.width, size.height, with_audio ? speech(seconds) : Waveform{});
  for (int i = 0; i < frames; ++i) {
    MouthShape m;
    m.open = 0.5 + 0.5 * std::sin(2 * M_PI * 3 * i / 25.0);
    std::vector<cv::Mat> parts;
    for (auto id : identities) parts.push_back(render_face(FaceIdentity::random(id), HeadPose{}, m, face_frame));
    if (parts.empty()) parts.push_back(cv::Mat(face_frame, CV_8UC3, cv::Scalar(90, 120, 150)));  // an empty room
    cv::Mat frame;
    cv::hconcat(parts, frame);
    w.write(frame, i / 25.0);
  }
  w.finish();
}

struct Media {
  std::string dir, clip, two_faces, no_face, one_frame, odd, short_wav, long_wav, generator, expert;
  std::string key, trust, consent, log;  // a studio and the lip-sync consent of the clips' (synthetic) performer
};

// Made once for all the tests below.
const Media& media() {
  static const Media m = [] {
    Media m;
    m.dir = test::temp_dir("cli-lipsync");
    m.clip = m.dir + "/clip.mp4";
    write_clip(m.clip, {5}, cv::Size(320, 240), 3.0, true);
    m.two_faces = m.dir + "/two.mp4";
    write_clip(m.two_faces, {7, 8}, cv::Size(320, 240), 1.0, false);
    m.no_face = m.dir + "/room.mp4";
    write_clip(m.no_face, {}, cv::Size(320, 240), 1.0, true);
    m.one_frame = m.dir + "/still.mp4";
    write_clip(m.one_frame, {5}, cv::Size(320, 240), 0.04, false);
    m.odd = m.dir + "/odd.mp4";
    write_clip(m.odd, {6}, cv::Size(321, 241), 1.0, false);
    m.short_wav = m.dir + "/short.wav";
    write_audio(m.short_wav, speech(2.0));
    m.long_wav = m.dir + "/long.wav";
    write_audio(m.long_wav, speech(5.0));
    m.generator = m.dir + "/generator.safetensors";
    m.expert = m.dir + "/expert.safetensors";
    test::write_tiny_networks(m.generator, m.expert);
    m.key = m.dir + "/studio.key";
    m.trust = m.dir + "/trust";
    m.consent = m.dir + "/consent.json";
    m.log = m.dir + "/render-log.jsonl";
    REQUIRE(run_dubkit({"consent", "init-key", "--name", "Test Studio", "-o", m.key, "--trust", m.trust}).code == 0);
    // Lip-sync consent is checked for signature, dates, revocation and use; its statement is
    // checked when a voice is enrolled, which these tests do not do.
    REQUIRE(run_dubkit({"consent", "create", "--performer", "Face Five", "--studio", "Test Studio", "--project", "tests",
                        "--uses", "lip-sync", "--languages", "en", "--valid-until", "2099-12-31", "--revocation", "none",
                        "--challenge", "apple river tiger candle", "--statement-audio", m.short_wav, "--key", m.key,
                        "-o", m.consent}).code == 0);
    return m;
  }();
  return m;
}

long frame_count(const std::string& path) {
  VideoReader r(path);
  VideoFrame f;
  long n = 0;
  while (r.read(f)) ++n;
  return n;
}

std::vector<std::string> with_consent(std::vector<std::string> args) {
  const Media& m = media();
  for (const std::string& a : {std::string("--consent"), m.consent, std::string("--key"), m.key, std::string("--trust"), m.trust,
                               std::string("--render-log"), m.log})
    args.push_back(a);
  return args;
}

nlohmann::json run_json(const std::vector<std::string>& args) {
  const Result r = run_dubkit(args, 300);
  REQUIRE(r.code == 0);
  return nlohmann::json::parse(r.out);
}

}  // namespace

TEST_CASE("faces: tracks, per-frame landmarks and a preview", "[e2e][lipsync]") {
  const Media& m = media();
  const auto j = run_json({"faces", m.clip, "--json", "--preview", m.dir + "/preview.mp4"});
  CHECK(j["frame_count"] == 75);
  REQUIRE(j["tracks"].size() == 1);
  CHECK(j["tracks"][0]["frames"] == 75);
  CHECK(j["frames"][10]["faces"][0]["landmarks"].size() == 68);
  CHECK(frame_count(m.dir + "/preview.mp4") == 75);

  const auto two = run_json({"faces", m.two_faces, "--json"});
  CHECK(two["tracks"].size() == 2);
  const auto none = run_json({"faces", m.no_face, "--json"});
  CHECK(none["tracks"].empty());
}

TEST_CASE("lipsync: speech shorter, longer, a chosen face, odd sizes, a still", "[e2e][lipsync]") {
  const Media& m = media();
  // Shorter speech: the rest of the clip is a pause, re-rendered with the silence gate's closed
  // mouth; the output keeps the video's length. The tone is voiced to its last sample (2.00 s:
  // the VAD's 40 ms padding stops at the speech's end), the gate is full after the 80 ms fade,
  // from 2.08 s: frames 52 (on that edge, in or out by rounding) to 74, 22 or 23 frames.
  auto j = run_json(with_consent({"lipsync", "--video", m.clip, "--audio", m.short_wav, "-o", m.dir + "/short.mp4", "--model", m.generator, "--json"}));
  CHECK(j["frames_out"] == 75);
  CHECK(j["frames_changed"] == 75);
  CHECK(j["frames_silenced"].get<long>() >= 22);
  CHECK(j["frames_silenced"].get<long>() <= 23);
  CHECK(j["tracks"].size() == 1);
  for (const char* stage : {"decode", "detect", "landmarks", "network", "composite", "encode"}) CHECK(j["seconds"][stage].get<double>() >= 0);
  CHECK(frame_count(m.dir + "/short.mp4") == 75);
  const Waveform a = read_audio_track(m.dir + "/short.mp4", 16000);
  CHECK(a.seconds() == Approx(2.0).margin(0.1));
  // Its signed manifest: a composite with trained algorithmic media, the re-rendered frames.
  const auto v = run_json({"verify", m.dir + "/short.mp4", "--trust", m.trust, "--no-watermark", "--json"});
  CHECK(v["manifest"]["status"] == "valid");
  CHECK(v["manifest"]["actions"][0]["digital_source_type"] == "compositeWithTrainedAlgorithmicMedia");
  CHECK(v["manifest"]["region"]["frames"] == nlohmann::json::array({0, 74}));
  CHECK(v["manifest"]["region"]["box"][2].get<int>() > 0);
  CHECK(v["manifest"]["disclosures"][0]["kind"] == "on-screen label");
  CHECK(v["manifest"]["disclosures"][0]["applied"] == true);

  // Longer speech: the video plays forward, backward, forward... to the speech's end.
  j = run_json(with_consent({"lipsync", "--video", m.clip, "--audio", m.long_wav, "-o", m.dir + "/long.mp4", "--model", m.generator, "--json"}));
  CHECK(j["frames_in"] == 75);
  CHECK(j["frames_out"] == 125);
  CHECK(j["frames_changed"] == 125);
  CHECK(j["output_seconds"].get<double>() == Approx(5.0).margin(0.05));
  CHECK(frame_count(m.dir + "/long.mp4") == 125);
  CHECK_FALSE(fs::exists(m.dir + "/long.mp4.frames.tmp"));  // spilled frames cleaned up

  // --face picks a track; the default is the largest (both are the same size here: track 0).
  j = run_json(with_consent({"lipsync", "--video", m.two_faces, "--audio", m.short_wav, "-o", m.dir + "/two_out.mp4", "--model", m.generator, "--face", "1", "--json"}));
  CHECK(j["face_track"] == 1);
  CHECK(j["tracks"].size() == 2);

  // Odd sizes keep their size.
  j = run_json(with_consent({"lipsync", "--video", m.odd, "--audio", m.short_wav, "-o", m.dir + "/odd_out.mp4", "--model", m.generator, "--json"}));
  CHECK(j["width"] == 321);
  CHECK(j["height"] == 241);
  CHECK(VideoReader(m.dir + "/odd_out.mp4").info().width == 321);

  // A 1 s pause in the speech: the silence gate holds the most closed mouth for it, less the
  // VAD's 40 ms padding and the 80 ms fade at each end (0.76 s, 19 frames).
  Waveform paused = speech(1.0);
  paused.samples.resize(2 * 16000, 0.0f);
  const Waveform tail = speech(1.0);
  paused.samples.insert(paused.samples.end(), tail.samples.begin(), tail.samples.end());
  write_audio(m.dir + "/paused.wav", paused);
  j = run_json(with_consent({"lipsync", "--video", m.clip, "--audio", m.dir + "/paused.wav", "-o", m.dir + "/paused.mp4", "--model", m.generator, "--json"}));
  CHECK(j["frames_silenced"].get<long>() >= 16);
  CHECK(j["frames_silenced"].get<long>() <= 22);
  j = run_json(with_consent({"lipsync", "--video", m.clip, "--audio", m.dir + "/paused.wav", "-o", m.dir + "/free.mp4", "--model", m.generator,
                "--no-silence-gate", "--json"}));
  CHECK(j["frames_silenced"] == 0);

  // A one-frame video is a still: it is held for the whole speech.
  j = run_json(with_consent({"lipsync", "--video", m.one_frame, "--audio", m.short_wav, "-o", m.dir + "/still_out.mp4", "--model", m.generator, "--json"}));
  CHECK(j["frames_in"] == 1);
  CHECK(j["frames_out"] == 50);
}

TEST_CASE("lipsync and sync score: bad input", "[e2e][lipsync][bad-input]") {
  const Media& m = media();
  // No face at all: re-encoded with the new audio, nothing re-rendered, a warning.
  const Result none = run_dubkit(with_consent({"lipsync", "--video", m.no_face, "--audio", m.short_wav, "-o", m.dir + "/room_out.mp4", "--model", m.generator}));
  CHECK(none.code == 0);
  CHECK_THAT(none.err, Catch::Contains("no face"));
  // Corrupt video: exit 1 naming the file, no output.
  const std::string corrupt = m.dir + "/corrupt.mp4";
  std::ofstream(corrupt) << "not a video at all";
  const Result bad = run_dubkit(with_consent({"lipsync", "--video", corrupt, "--audio", m.short_wav, "-o", m.dir + "/bad_out.mp4", "--model", m.generator}));
  CHECK(bad.code == 1);
  CHECK_THAT(bad.err, Catch::Contains("corrupt.mp4"));
  CHECK_FALSE(fs::exists(m.dir + "/bad_out.mp4"));
  // The output may not overwrite an input.
  CHECK(run_dubkit(with_consent({"lipsync", "--video", m.clip, "--audio", m.short_wav, "-o", m.clip, "--model", m.generator})).code == 2);
  // No consent record, or one that does not cover lip-sync: refused before any work.
  const Result unconsented = run_dubkit({"lipsync", "--video", m.clip, "--audio", m.short_wav, "-o", m.dir + "/x.mp4", "--model", m.generator});
  CHECK(unconsented.code == 2);
  CHECK_THAT(unconsented.err, Catch::Contains("--consent"));
  REQUIRE(run_dubkit({"consent", "create", "--performer", "Face Five", "--studio", "Test Studio", "--project", "tests",
                      "--uses", "research", "--languages", "en", "--valid-until", "2099-12-31", "--revocation", "none",
                      "--challenge", "apple", "--statement-audio", m.short_wav, "--key", m.key, "-o", m.dir + "/research.json"})
              .code == 0);
  std::vector<std::string> narrow = with_consent({"lipsync", "--video", m.clip, "--audio", m.short_wav, "-o", m.dir + "/x.mp4", "--model", m.generator});
  narrow[std::find(narrow.begin(), narrow.end(), m.consent) - narrow.begin()] = m.dir + "/research.json";
  const Result wrong_use = run_dubkit(narrow);
  CHECK(wrong_use.code == 1);
  CHECK_THAT(wrong_use.err, Catch::Contains("does not cover the use 'lip-sync'"));
  CHECK_FALSE(fs::exists(m.dir + "/x.mp4"));
  // sync score needs audio: a video without an audio track is refused by name.
  const Result silent = run_dubkit({"sync", "score", m.two_faces, "--expert", m.expert});
  CHECK(silent.code == 1);
  CHECK_THAT(silent.err, Catch::Contains("two.mp4") && Catch::Contains("audio"));
  // ... and a face.
  const Result faceless = run_dubkit({"sync", "score", m.no_face, "--expert", m.expert});
  CHECK(faceless.code != 0);
  CHECK_THAT(faceless.err, Catch::Contains("face"));
}

TEST_CASE("sync score reports an offset and confidences", "[e2e][lipsync]") {
  const Media& m = media();
  const auto j = run_json({"sync", "score", m.clip, "--expert", m.expert, "--max-offset", "3", "--json"});
  CHECK(j["distances"].size() == 7);
  CHECK(std::abs(j["offset"].get<int>()) <= 3);
  CHECK(j["confidence"].get<double>() >= 0);
  CHECK(j["windows"].get<int>() > 60);
  CHECK(j["model"] == "dubkit");
  CHECK(j["lse_d"] == j["min_distance"]);
  CHECK(j["lse_c"] == j["confidence"]);
  CHECK(j["faces"] == 1);
}

TEST_CASE("sync score with a file of the public syncnet_v2 layout", "[e2e][sync]") {
  const Media& m = media();
  // Random weights in the public layout, with no dubkit metadata: told apart by its names.
  const std::string v2 = m.dir + "/syncnet_v2.safetensors";
  torch::manual_seed(3);
  write_safetensors(v2, module_weights(*SyncNetV2()));
  const auto j = run_json({"sync", "score", m.clip, "--expert", v2, "--max-offset", "5", "--json"});
  CHECK(j["model"] == "syncnet_v2");
  CHECK(j["distances"].size() == 11);
  // The public evaluation scores the windows whose own audio exists: of the 71 that 75 frames
  // hold, the last needs MFCC frames 280..299, and 3.00 s of sound give 299 (the public code's
  // range stops there too); the decoded AAC track may run a few samples longer.
  CHECK(j["windows"].get<int>() >= 70);
  CHECK(j["windows"].get<int>() <= 71);
  CHECK(j["lse_c"].get<double>() >= 0);
  // Its edges are padded with zero embeddings, so no offset's mean is missing.
  for (const auto& d : j["distances"]) CHECK(d.is_number());
}

TEST_CASE("sync score writes its timeline as CSV and a chart as PNG", "[e2e][sync]") {
  const Media& m = media();
  const std::string csv = m.dir + "/timeline.csv", png = m.dir + "/sync.png";
  const auto j = run_json({"sync", "score", m.clip, "--expert", m.expert, "--timeline", csv, "--plot", png, "--json"});
  const CsvTable t = read_csv(csv);
  CHECK(t.columns == std::vector<std::string>{"window", "time_s", "offset", "confidence", "distance_at_clip_offset",
                                              "distance_at_zero", "framewise_confidence"});
  REQUIRE(static_cast<long>(t.rows.size()) == j["windows"].get<long>());
  // The clip's mean distance at its offset is the mean of the windows' distances there.
  double sum = 0;
  long n = 0;
  for (const auto& row : t.rows)
    if (!row[4].empty()) sum += std::stod(row[4]), ++n;
  CHECK(sum / n == Approx(j["lse_d"].get<double>()).epsilon(1e-4));
  CHECK(std::stod(t.rows[1][1]) - std::stod(t.rows[0][1]) == Approx(0.04));
  const cv::Mat chart = cv::imread(png);
  CHECK(chart.cols == 960);
  CHECK(chart.rows == 720);
  // An unwritable chart is refused before any work.
  const Result bad = run_dubkit({"sync", "score", m.clip, "--expert", m.expert, "--plot", "/nonexistent/dir/x.png"});
  CHECK(bad.code != 0);
  CHECK_THAT(bad.err, Catch::Contains("/nonexistent/dir"));
}

TEST_CASE("sync batch: every bad input is a row with its reason, and a rerun resumes", "[e2e][sync]") {
  const Media& m = media();
  const std::string dir = test::temp_dir("cli-sync-batch");
  const std::string short_clip = dir + "/short.mp4", tiny = dir + "/tiny.mp4", corrupt = dir + "/corrupt.mp4";
  write_clip(short_clip, {5}, cv::Size(320, 240), 0.6, true);  // under 1 s, but long enough for windows
  write_clip(tiny, {5}, cv::Size(320, 240), 0.12, true);       // 3 frames: not one window
  std::ofstream(corrupt) << "not a video at all";
  {
    std::ofstream list(dir + "/list.txt");
    list << "# the fixtures\n" << m.clip << "\n\n" << m.no_face << "\n" << m.two_faces << "\n" << m.one_frame << "\n"
         << "short.mp4\n" << "tiny.mp4\n" << "corrupt.mp4\n" << "missing.mp4\n";
  }
  const std::string out = dir + "/results.csv";
  const auto j = run_json({"sync", "batch", dir + "/list.txt", "-o", out, "--expert", m.expert, "--jobs", "2", "--json"});
  CHECK(j["files"] == 8);
  CHECK(j["scored"] == 2);
  CHECK(j["failed"] == 6);
  const CsvTable t = read_csv(out);
  REQUIRE(t.rows.size() == 8);
  std::map<std::string, std::vector<std::string>> rows;
  for (const auto& r : t.rows) rows[r[0]] = r;
  const std::size_t status = t.column("status", out), error = t.column("error", out), lse_d = t.column("lse_d", out);
  CHECK(rows[m.clip][status] == "ok");
  CHECK_FALSE(rows[m.clip][lse_d].empty());
  CHECK(rows["short.mp4"][status] == "ok");
  CHECK(rows[m.no_face][status] == "no_face");
  CHECK(rows[m.two_faces][status] == "no_audio");
  CHECK(rows[m.one_frame][status] == "no_audio");
  CHECK(rows["tiny.mp4"][status] == "too_short");
  CHECK(rows["corrupt.mp4"][status] == "unreadable");
  CHECK(rows["missing.mp4"][status] == "unreadable");
  CHECK_THAT(rows["missing.mp4"][error], Catch::Contains("missing.mp4"));
  CHECK(rows["tiny.mp4"][lse_d].empty());

  // The same command again: nothing left to do.
  const auto again = run_json({"sync", "batch", dir + "/list.txt", "-o", out, "--expert", m.expert, "--json"});
  CHECK(again["skipped"] == 8);
  CHECK(again["scored"] == 0);
  // An interrupted run left its last row half written: that file is scored again.
  std::string text = test::slurp(out);
  text.resize(text.size() - 12);
  std::ofstream(out, std::ios::trunc) << text;
  const auto resumed = run_json({"sync", "batch", dir + "/list.txt", "-o", out, "--expert", m.expert, "--json"});
  CHECK(resumed["skipped"] == 7);
  CHECK(resumed["scored"].get<int>() + resumed["failed"].get<int>() == 1);
  CHECK(read_csv(out).rows.size() == 8);
  // A file that is not a results table is never overwritten.
  std::ofstream(dir + "/other.csv") << "name,value\nx,1\n";
  const Result other = run_dubkit({"sync", "batch", dir + "/list.txt", "-o", dir + "/other.csv", "--expert", m.expert});
  CHECK(other.code == 1);
  CHECK_THAT(other.err, Catch::Contains("header differs"));
}

TEST_CASE("sync make-set, batch and eval: a labelled set from synthetic faces, scored and evaluated", "[e2e][sync]") {
  const Media& m = media();
  const std::string dir = test::temp_dir("cli-sync-set");
  // A two-speaker corpus of three test utterances: tone speech with phone timings that open
  // and close the mouth.
  const std::string corpus = dir + "/corpus";
  fs::create_directories(corpus + "/wav");
  std::string manifest;
  const char* speakers[] = {"tone-a", "tone-b", "tone-a"};
  for (int i = 0; i < 3; ++i) {
    const std::string id = "u" + std::to_string(i), path = "wav/" + id + ".wav";
    write_audio(corpus + "/" + path, test::test_tone(16000, 2.2, 150.0 + 40 * i));
    nlohmann::json phones = nlohmann::json::array();
    for (int k = 0; k < 11; ++k) phones.push_back({k % 2 ? "m" : "a", 0.2 * k, 0.2 * (k + 1)});
    manifest += nlohmann::json{{"id", id}, {"path", path}, {"speaker", speakers[i]}, {"split", "test"}, {"lang", "en"},
                               {"base_voice", "tone"}, {"text", "ma ma"}, {"phonemes", "mama"}, {"duration", 2.2},
                               {"phones", phones}}
                    .dump() +
                "\n";
  }
  std::ofstream(corpus + "/manifest.jsonl") << manifest;
  const std::string set = dir + "/set";
  const auto made = run_json({"sync", "make-set", "--corpus", corpus, "--out", set, "--clips", "3", "--min-shift", "-2",
                              "--max-shift", "2", "--model", m.generator, "--width", "320", "--height", "240", "--json"});
  CHECK(made["sources"] == 3);
  CHECK(made["files"] == 3 * 7);  // original, 4 shifts, swap, dub
  CHECK(made["real"] == 3);
  const CsvTable labels = read_csv(set + "/labels.csv");
  REQUIRE(labels.rows.size() == 21);
  std::map<std::string, int> kinds;
  for (const auto& r : labels.rows) {
    ++kinds[r[labels.column("manipulation", "labels")]];
    CHECK(fs::exists(set + "/" + r[0]));
    // Swapped and dubbed clips speak another speaker's words.
    if (r[2] == "swap" || r[2] == "dub") CHECK(r[labels.column("audio_speaker", "l")] != r[labels.column("speaker", "l")]);
  }
  CHECK(kinds == std::map<std::string, int>{{"dub", 3}, {"original", 3}, {"shift", 12}, {"swap", 3}});

  const auto batch = run_json({"sync", "batch", set + "/list.txt", "-o", set + "/results.csv", "--expert", m.expert, "--json"});
  CHECK(batch["scored"] == 21);
  const auto e = run_json({"sync", "eval", set + "/labels.csv", set + "/results.csv", "--roc", set + "/roc.png", "--markdown",
                           set + "/eval.md", "--json"});
  std::vector<std::string> groups;
  for (const auto& g : e["groups"]) {
    groups.push_back(g["group"]);
    CHECK(g["auc"].get<double>() >= 0);
    CHECK(g["auc"].get<double>() <= 1);
  }
  CHECK(groups == std::vector<std::string>{"all", "shift", "swap", "dub", "shift-2", "shift-1", "shift+1", "shift+2"});
  REQUIRE(e["offsets"].size() == 5);
  CHECK(e["offsets"][2]["shift"] == 0);
  CHECK(e["offsets"][2]["clips"] == 3);
  CHECK(cv::imread(set + "/roc.png").cols == 640);
  CHECK_THAT(test::slurp(set + "/eval.md"), Catch::Contains("| swap | 3 | 3 |"));
}
