// The review page, opened by a real browser (headless Chromium): both videos, the line table
// and pictures, the sync timeline and the provenance are in the rendered DOM, hostile cue text
// stays text, the page's own script runs, every picture loads from file:// after the folder was
// moved, and the screenshot is a real picture. Also the report checks that need no browser.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <sys/wait.h>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.hpp"
#include "provenance/crypto.hpp"
#include "provenance/manifest.hpp"
#include "provenance/trust_store.hpp"
#include "review/review_page.hpp"
#include "support.hpp"
#include "video/video_writer.hpp"

using namespace dubkit;
namespace fs = std::filesystem;

namespace {

// Drives the page as a reviewer would (a row click, a seek on the original, play on the dubbed
// video, pause on the original) and records what both videos did in <body data-probe>.
// Drives the page as a reviewer would (a row click, a seek on the original, play on the dubbed
// video, pause on the original) and records what both videos did in <body data-probe>. Each
// step waits for the events of the last, not for timers, and none waits for a decoder
// ("seeking", not "seeked"): in headless Chromium virtual time runs ahead of the decoders.
const char* kMirrorProbe = R"JS(<script>
(function () {
  var a = document.getElementById("original"), b = document.getElementById("dubbed"), log = [];
  function rec(m) { log.push(m); document.body.dataset.probe = log.join("|"); }
  function t(v) { return v.currentTime.toFixed(2); }
  function once(v, type, fn) { v.addEventListener(type, function h() { v.removeEventListener(type, h); fn(); }); }
  function run() {
    var seeking = 0;
    [a, b].forEach(function (v) { once(v, "seeking", function () { if (++seeking === 2) afterRow(); }); });
    document.querySelectorAll("#lines tr.line")[1].click();
  }
  function afterRow() {
    rec("row2:a=" + t(a) + ",b=" + t(b));
    once(b, "seeking", function () {
      rec("seekA:a=" + t(a) + ",b=" + t(b));
      once(a, "play", function () {
        rec("playB:apaused=" + a.paused + ",bpaused=" + b.paused);
        once(b, "pause", function () { rec("pauseA:apaused=" + a.paused + ",bpaused=" + b.paused); });
        a.pause();
      });
      b.play().catch(function (e) { rec("playfailed:" + e); });
    });
    a.currentTime = 0.5;
  }
  var started = false;
  function start() { if (!started && a.readyState >= 1 && b.readyState >= 1) { started = true; run(); } }
  [a, b].forEach(function (v) { v.addEventListener("loadedmetadata", start); });
  start();
})();
</script>
)JS";

// A copy of the page in the same folder, with `script` added before </body> and, when
// `drop_csp`, the Content-Security-Policy removed (else the added script must not run).
std::string page_copy(const std::string& dir, const std::string& name, const std::string& script, bool drop_csp) {
  std::string html = test::slurp(dir + "/index.html");
  if (drop_csp) html = std::regex_replace(html, std::regex("<meta http-equiv=\"Content-Security-Policy\"[^>]*>"), "");
  const auto body_end = html.rfind("</body>");
  if (body_end != std::string::npos) html.insert(body_end, script);
  std::ofstream(dir + "/" + name, std::ios::binary) << html;
  return dir + "/" + name;
}

std::string body_tag(const std::string& dom) {
  std::smatch m;
  return std::regex_search(dom, m, std::regex("<body[^>]*>")) ? m.str() : "";
}

const char* kHostileCue = "Hola <script>alert(1)</script> & adi\xC3\xB3s";

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (const char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The exit status of a shell command (-1 when it did not exit normally).
int run_shell(const std::string& command) {
  const int status = std::system(command.c_str());
  return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The browser binary on PATH, or "".
std::string find_chromium() {
  for (const char* name : {"chromium", "chromium-browser"}) {
    FILE* p = ::popen(("command -v " + std::string(name) + " 2>/dev/null").c_str(), "r");
    if (!p) continue;
    char buf[4096] = {};
    const bool got = std::fgets(buf, sizeof buf, p) != nullptr;
    ::pclose(p);
    std::string path = got ? std::string(buf) : "";
    while (!path.empty() && (path.back() == '\n' || path.back() == '\r')) path.pop_back();
    if (!path.empty()) return path;
  }
  return "";
}

// Runs headless Chromium on `url` with `mode_args`; as root it needs --no-sandbox, and it
// wants a writable HOME for its profile. Its stderr (D-Bus noise in containers) goes to a file.
int run_chromium(const std::string& chromium, const std::string& home, const std::string& mode_args,
                 const std::string& url, const std::string& stdout_file, const std::string& stderr_file,
                 int virtual_ms = 4000) {
  const std::string command = "HOME=" + shell_quote(home) + " timeout 120 " + shell_quote(chromium) +
                              " --headless --no-sandbox --disable-gpu --no-first-run --mute-audio "
                              "--virtual-time-budget=" + std::to_string(virtual_ms) + " " + mode_args + " " + shell_quote(url) + " >" +
                              shell_quote(stdout_file) + " 2>" + shell_quote(stderr_file);
  return run_shell(command);
}

// 4 s of a moving white bar on `colour`, with a tone at `f0` (none when f0 is 0).
void make_video(const std::string& path, double f0, const cv::Scalar& colour) {
  const int w = 160, h = 96;
  const double seconds = 4.0, fps = 25;
  const Waveform sound = f0 > 0 ? test::test_tone(16000, seconds, f0) : Waveform{};
  VideoWriter out(path, w, h, sound);
  for (int i = 0; i < static_cast<int>(seconds * fps); ++i) {
    cv::Mat frame(h, w, CV_8UC3, colour);
    cv::rectangle(frame, cv::Rect((i * 3) % (w - 20), 30, 20, 36), cv::Scalar(255, 255, 255), cv::FILLED);
    out.write(frame, i / fps);
  }
  out.finish();
}

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

int count_regex(const std::string& text, const std::string& pattern) {
  const std::regex re(pattern);
  return static_cast<int>(std::distance(std::sregex_iterator(text.begin(), text.end(), re), std::sregex_iterator()));
}

nlohmann::json sample_report() {
  nlohmann::json windows = nlohmann::json::array(), confidence = nlohmann::json::array(), offsets = nlohmann::json::array();
  for (int i = 0; i < 100; ++i) {
    windows.push_back(i * 0.04);
    confidence.push_back(3.0 + 2.0 * std::sin(i * 0.15));
    offsets.push_back(i % 17 == 5 ? 1 : 0);
  }
  return {{"format", "dubkit-dub-report"},
          {"version", 1},
          {"output", "src/dubbed.mp4"},  // as written from the test folder: the original is found through it
          {"video", "src/original.mp4"},
          {"script", "src/script.es.srt"},
          {"lang", "es"},
          {"output_id", "out-0123456789abcdef01234567"},
          {"voice", {{"name", "Test Voice"}, {"consent", "consent-review-test"}, {"performer", "Pat <Performer>"},
                     {"studio", "Harbor & Sound"}, {"uses", {"dubbing", "lip-sync"}}}},
          {"fps", 25.0},
          {"video_seconds", 4.0},
          {"output_seconds", 4.0},
          {"audio", {{"rate", 48000}, {"target_lufs", -23.0}, {"loudness_lufs", -23.1}, {"peak_dbfs", -6.0}, {"bed", "silence"}}},
          {"sync", {{"offset", 0}, {"confidence", 4.2}, {"window_seconds", windows}, {"window_confidence", confidence},
                    {"window_offset", offsets}}},
          {"lines",
           {{{"index", 1}, {"start", 0.2}, {"end", 1.6}, {"text", kHostileCue}, {"slot_seconds", 1.4},
             {"natural_seconds", 1.5}, {"achieved_seconds", 1.4}, {"stretch", 0.93}, {"fit", "fitted"},
             {"speech_start", 0.2}, {"speech_end", 1.6}, {"sync_offset", 0}, {"sync_confidence", 3.9},
             {"watermark_payloads", {"1a2b3c4d"}}},
            {{"index", 2}, {"start", 2.0}, {"end", 3.5}, {"text", "Segunda \"l\xC3\xADnea\" <b>no</b>"},
             {"natural_seconds", 1.2}, {"achieved_seconds", 1.5}, {"stretch", 1.25}, {"fit", "padded"},
             {"sync_offset", 1}, {"sync_confidence", 2.1}, {"watermark_payloads", {"5e6f7a8b", "00c0ffee"}}}}},
          {"skipped", {{{"index", 3}, {"reason", "empty cue"}}}},
          {"stages", {{"script", 0.01}, {"synthesis", 3.2}, {"total", 11.0}}}};
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
}

// A dubbed and an original video, the dubbed one signed by a key of a fresh trust store.
struct Dub {
  std::string dir = test::temp_dir("review");
  std::string src = dir + "/src", original = src + "/original.mp4", dubbed = src + "/dubbed.mp4";
  std::string trust = dir + "/trust";
  Dub() {
    fs::create_directories(src);
    make_video(original, 220, cv::Scalar(90, 60, 30));
    make_video(dubbed, 330, cv::Scalar(30, 60, 120));
    const SigningKey key = generate_signing_key("Review Test Studio");
    TrustStore(trust).add_key({key.name, key.public_key});
    Manifest m;
    m.instance_id = "out-0123456789abcdef01234567";
    m.title = "dubbed.mp4";
    m.mime = "video/mp4";
    m.created = "2026-11-30T10:00:00Z";
    m.claim_generator = "dubkit test";
    m.actions = {{"c2pa.edited", kCompositeWithTrainedAlgorithmicMedia, "dubkit dub", "", ""},
                 {"c2pa.translated", "", "dubkit dub", "en", "es"}};
    m.models = {{"lipsync.safetensors", std::string(64, 'c')}, {"vocoder.safetensors", std::string(64, 'd')}};
    m.consent_id = "consent-review-test";
    m.consent_path = "spoken";
    m.consent_key_id = key.public_key.id();
    m.watermark_payloads = {0x1a2b3c4du, 0x5e6f7a8bu, 0x00c0ffeeu};
    embed_manifest(dubbed, m, key);
    write_text(dubbed + ".dub.json", sample_report().dump(2));
  }
};

}  // namespace

TEST_CASE("review: html_escape escapes the five characters", "[review]") {
  CHECK(html_escape("<a href=\"x\">Tom & 'Jerry'</a>") == "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
  CHECK(html_escape("plain \xC3\xA9") == "plain \xC3\xA9");
}

TEST_CASE("review: bad options and reports are refused with the file named", "[review]") {
  static Dub dub;
  ReviewOptions o;
  o.dubbed = dub.dubbed;
  CHECK_THROWS_AS(o.validate(), InvalidArgument);  // no -o
  o.out_dir = dub.dir + "/refused";
  o.trust_dir = dub.trust;

  o.report = dub.dir + "/missing.json";
  CHECK_THROWS_AS(write_review(o), IoError);

  const std::string bad = dub.dir + "/bad.dub.json";
  nlohmann::json j = sample_report();
  j["format"] = "something-else";
  write_text(bad, j.dump());
  o.report = bad;
  CHECK_THROWS_WITH(write_review(o), Catch::Contains(bad) && Catch::Contains("format"));
  CHECK_THROWS_AS(write_review(o), FormatError);

  j = sample_report();
  j["version"] = 2;
  write_text(bad, j.dump());
  CHECK_THROWS_AS(write_review(o), FormatError);

  write_text(bad, "{not json");
  CHECK_THROWS_AS(write_review(o), FormatError);

  j = sample_report();
  j["lines"][0]["start"] = "soon";
  write_text(bad, j.dump());
  CHECK_THROWS_WITH(write_review(o), Catch::Contains("lines[0].start"));

  j = sample_report();
  j["video"] = "nowhere/else.mp4";
  write_text(bad, j.dump());
  CHECK_THROWS_WITH(write_review(o), Catch::Contains("--original"));
  CHECK_FALSE(fs::exists(dub.dir + "/refused/index.html"));
}

TEST_CASE("review: a dubbed video without sound and without a manifest still gets its page", "[review]") {
  const std::string dir = test::temp_dir("review-silent");
  const std::string original = dir + "/a b.mp4", dubbed = dir + "/silent.mp4";
  make_video(original, 220, cv::Scalar(90, 60, 30));
  make_video(dubbed, 0, cv::Scalar(30, 60, 120));
  nlohmann::json j = sample_report();
  j.erase("video");
  j.erase("sync");
  j.erase("voice");
  write_text(dir + "/report.json", j.dump());
  ReviewOptions o;
  o.dubbed = dubbed;
  o.report = dir + "/report.json";
  o.original = original;
  o.out_dir = dir + "/page";
  o.trust_dir = dir + "/no-trust";
  const ReviewResult res = write_review(o);
  CHECK(res.lines == 2);
  CHECK(res.provenance_status == "missing");
  CHECK_FALSE(fs::exists(o.out_dir + "/lines/001.png"));
  const std::string html = test::slurp(res.index_html);
  CHECK(html.find("no audio track") != std::string::npos);
  CHECK(html.find("<svg id=\"sync-timeline\"") != std::string::npos);
  CHECK(html.find("no per-window sync confidence") != std::string::npos);
  CHECK(count(html, "<tr class=\"line\"") == 2);
}

TEST_CASE("review: the page renders in headless Chromium with everything in it", "[review]") {
  const std::string chromium = find_chromium();
  if (chromium.empty())
    FAIL("chromium is not installed: the review page test needs a real browser (apt-get install -y chromium; "
         "debian-packages.txt lists it)");

  Dub dub;
  ReviewOptions o;
  o.dubbed = dub.dubbed;  // the report is found beside it, the original through the report
  o.out_dir = dub.dir + "/review";
  o.trust_dir = dub.trust;
  const ReviewResult res = write_review(o);
  CHECK(res.lines == 2);
  CHECK(res.provenance_status == "valid");
  REQUIRE(fs::is_regular_file(res.index_html));
  for (const char* f : {"original.mp4", "dubbed.mp4", "lines/001.png", "lines/002.png"})
    CHECK(fs::is_regular_file(o.out_dir + "/" + f));
  CHECK(test::slurp(o.out_dir + "/original.mp4") == test::slurp(dub.original));
  CHECK(test::slurp(o.out_dir + "/dubbed.mp4") == test::slurp(dub.dubbed));
  const std::string html = test::slurp(res.index_html);
  CHECK(html.find("<script>alert(1)") == std::string::npos);
  CHECK(html.find("http://") == std::string::npos);  // nothing fetched: the SVG namespace is the only URL
  CHECK(count(html, "https://") == 0);

  // The folder moves whole: the page must not depend on where it was written.
  const std::string moved = dub.dir + "/moved review";
  fs::rename(o.out_dir, moved);
  const std::string url = "file://" + std::regex_replace(moved, std::regex(" "), "%20") + "/index.html";
  const std::string home = dub.dir + "/browser-home";
  fs::create_directories(home);

  const std::string dom_file = dub.dir + "/dom.html", err_file = dub.dir + "/chromium-dom.err";
  const int rc = run_chromium(chromium, home, "--dump-dom", url, dom_file, err_file);
  INFO("chromium --dump-dom exit status " << rc << "; stderr in " << err_file);
  REQUIRE(rc == 0);
  const std::string dom = test::slurp(dom_file);
  INFO("dumped DOM in " << dom_file);
  REQUIRE(!dom.empty());
  CHECK(count(dom, "<video") == 2);
  CHECK(count_regex(dom, "<video[^>]*id=\"original\"") == 1);
  CHECK(count_regex(dom, "<video[^>]*id=\"dubbed\"") == 1);
  CHECK(count(dom, "<table id=\"lines\"") == 1);
  CHECK(count_regex(dom, "<tr class=\"line( [^\"]*)?\"") == 2);
  CHECK(count_regex(dom, "<img class=\"line-mel\"") == 2);
  CHECK(count(dom, "<svg id=\"sync-timeline\"") == 1);
  CHECK(count(dom, "<section id=\"provenance\"") == 1);
  CHECK(dom.find("status-valid") != std::string::npos);
  CHECK(dom.find("Review Test Studio") != std::string::npos);  // signer
  CHECK(dom.find("lipsync.safetensors") != std::string::npos);
  CHECK(dom.find(std::string(64, 'c')) != std::string::npos);  // its hash
  CHECK(dom.find("consent-review-test") != std::string::npos);
  CHECK(dom.find("Pat &lt;Performer&gt;") != std::string::npos);
  CHECK(dom.find("Harbor &amp; Sound") != std::string::npos);
  // Hostile cue text is text: escaped, and the page's own script is the only one.
  CHECK(dom.find("Hola &lt;script&gt;alert(1)&lt;/script&gt; &amp; adi\xC3\xB3s") != std::string::npos);
  CHECK(dom.find("<script>alert(1)") == std::string::npos);
  CHECK(count(dom, "<script") == 1);
  CHECK(dom.find("<b>no</b>") == std::string::npos);
  // The page's script wired the videos, and both pictures loaded from the moved folder.
  CHECK(dom.find("data-ready=\"1\"") != std::string::npos);
  CHECK(dom.find("data-images-loaded=\"2\"") != std::string::npos);
  CHECK(dom.find("data-videos-decoded=\"2\"") != std::string::npos);  // Debian's Chromium decodes H.264

  // The page's Content-Security-Policy lets only its own script run: one added later does not.
  {
    const std::string page = page_copy(moved, "csp-probe.html", "<script>document.body.dataset.injected = \"1\";</script>", false);
    const std::string out = dub.dir + "/csp-probe.html";
    REQUIRE(run_chromium(chromium, home, "--dump-dom", "file://" + std::regex_replace(page, std::regex(" "), "%20"), out,
                         dub.dir + "/chromium-csp.err") == 0);
    const std::string body = body_tag(test::slurp(out));
    INFO(body);
    CHECK(body.find("data-ready=\"1\"") != std::string::npos);
    CHECK(body.find("data-injected") == std::string::npos);
  }

  // Mirrored playback: a row click seeks both, seeking, playing and pausing either one does the
  // same to the other.
  {
    const std::string page = page_copy(moved, "mirror-probe.html", kMirrorProbe, true);
    const std::string out = dub.dir + "/mirror-probe.html";
    REQUIRE(run_chromium(chromium, home, "--autoplay-policy=no-user-gesture-required --dump-dom",
                         "file://" + std::regex_replace(page, std::regex(" "), "%20"), out, dub.dir + "/chromium-mirror.err",
                         20000) == 0);
    const std::string body = body_tag(test::slurp(out));
    INFO(body);
    CHECK(body.find("row2:a=2.00,b=2.00") != std::string::npos);
    CHECK(body.find("seekA:a=0.50,b=0.50") != std::string::npos);
    CHECK(body.find("playB:apaused=false,bpaused=false") != std::string::npos);
    CHECK(body.find("pauseA:apaused=true,bpaused=true") != std::string::npos);
  }

  const std::string shot = dub.dir + "/screenshot.png";
  const int shot_rc = run_chromium(chromium, home, "--hide-scrollbars --window-size=1280,1600 --screenshot=" + shell_quote(shot),
                                   url, dub.dir + "/chromium-shot.out", dub.dir + "/chromium-shot.err");
  INFO("chromium --screenshot exit status " << shot_rc);
  REQUIRE(shot_rc == 0);
  const cv::Mat img = cv::imread(shot, cv::IMREAD_COLOR);
  REQUIRE(!img.empty());
  CHECK(img.cols == 1280);
  CHECK(img.rows == 1600);
  cv::Mat gray;
  cv::cvtColor(img, gray, cv::COLOR_BGR2GRAY);
  cv::Scalar mean, stddev;
  cv::meanStdDev(gray, mean, stddev);
  CHECK(stddev[0] > 10.0);
}
