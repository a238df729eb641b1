// Signed manifests: every byte of a signed WAV, a signed MP4 and the sidecar is covered, keys
// outside the trust store are reported, hostile manifests are refused; the render log's chain.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "audio/io.hpp"
#include "core/error.hpp"
#include "provenance/manifest.hpp"
#include "provenance/render_log.hpp"
#include "support.hpp"
#include "video/video_writer.hpp"

using namespace dubkit;
namespace fs = std::filesystem;

namespace {

Manifest sample_manifest(const std::string& title, const std::string& mime) {
  Manifest m;
  m.instance_id = "out-0123456789abcdef01234567";
  m.title = title;
  m.mime = mime;
  m.created = "2026-11-30T10:00:00Z";
  m.claim_generator = "dubkit test";
  m.actions = {{"c2pa.created", kTrainedAlgorithmicMedia, "dubkit say", "", ""},
               {"c2pa.translated", "", "dubkit dub", "en", "es"}};
  m.ingredients = {{"enroll1.wav", "inputTo", "enrollment audio", std::string(64, 'a')}};
  m.models = {{"synthesizer.safetensors", std::string(64, 'b')}};
  m.consent_id = "consent-test";
  m.consent_path = "spoken";
  m.consent_key_id = "0123456789abcdef";
  m.watermark_payloads = {0x01020304u, 0xdeadbeefu};
  m.region = ManifestRegion{10, 20, 30, 40, 50, 60};
  m.disclosures = {{"EU", "spoken notice", false}};
  return m;
}

struct Keys {
  std::string dir = test::temp_dir("manifest");
  SigningKey key = generate_signing_key("test studio");
  TrustStore trust{dir + "/trust"};
  Keys() { trust.add_key({key.name, key.public_key}); }
};

Keys& keys() {
  static Keys k;
  return k;
}

void flip(const std::string& path, std::uint64_t at) {
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  f.seekg(static_cast<std::streamoff>(at));
  const char c = static_cast<char>(f.get() ^ 0x20);
  f.seekp(static_cast<std::streamoff>(at));
  f.put(c);
}

// Flips each byte of `target` in turn (then restores it) and counts how often `path` still
// verifies as valid.
long still_valid_after_each_flip(const std::string& path, const std::string& target) {
  long valid = 0;
  const auto size = fs::file_size(target);
  for (std::uint64_t i = 0; i < size; ++i) {
    flip(target, i);
    if (verify_manifest(path, keys().trust).status == ManifestStatus::valid) ++valid;
    flip(target, i);
  }
  return valid;
}

}  // namespace

TEST_CASE("manifest: a signed WAV verifies, and flipping any byte of it or its sidecar is detected", "[provenance][manifest]") {
  const std::string wav = keys().dir + "/line.wav";
  write_audio(wav, test::test_tone(16000, 0.25));
  const std::string before = test::slurp(wav);
  Manifest m = sample_manifest("line.wav", "audio/wav");
  embed_manifest(wav, m, keys().key);
  const ManifestVerification v = verify_manifest(wav, keys().trust);
  INFO(v.detail);
  REQUIRE(v.status == ManifestStatus::valid);
  REQUIRE(v.manifest);
  CHECK(v.manifest->watermark_payloads == m.watermark_payloads);
  CHECK(v.manifest->region->height == 60);
  CHECK(v.manifest->actions[1].target_language == "es");
  CHECK_FALSE(v.manifest->disclosures[0].applied);
  CHECK(m.asset_sha256 == sha256_hex(before));
  // The audio is still an ordinary WAV to other readers.
  CHECK(read_mono(wav).samples.size() == 4000);
  CHECK_THROWS_AS(embed_manifest(wav, m, keys().key), FormatError);

  CHECK(still_valid_after_each_flip(wav, wav) == 0);
  CHECK(still_valid_after_each_flip(wav, sidecar_path(wav)) == 0);
  CHECK(verify_manifest(wav, keys().trust).status == ManifestStatus::valid);  // restored

  // Cut off the end, or strip the manifest and restore the RIFF size: both detected.
  const std::string whole = test::slurp(wav);
  std::ofstream(wav, std::ios::binary) << whole.substr(0, whole.size() - 10);
  CHECK(verify_manifest(wav, keys().trust).status == ManifestStatus::tampered);
  std::ofstream(wav, std::ios::binary) << before;
  CHECK(verify_manifest(wav, keys().trust).status == ManifestStatus::tampered);
  fs::remove(sidecar_path(wav));
  CHECK(verify_manifest(wav, keys().trust).status == ManifestStatus::missing);
  // Signed by a key the store does not trust.
  Manifest again = sample_manifest("line.wav", "audio/wav");
  embed_manifest(wav, again, generate_signing_key("stranger"));
  CHECK(verify_manifest(wav, keys().trust).status == ManifestStatus::untrusted);
}

// Issue 22, item 9: a signature spelled with an upper-case hex digit (in the file and its
// sidecar alike) verified as valid; only the canonical lowercase encoding may.
TEST_CASE("issue 22 item 9: a signature in another hex case is not valid", "[provenance][manifest][issue22]") {
  const std::string message = "the canonical text";
  const std::string sig = sign_message(keys().key, message);
  CHECK(verify_message(keys().key.public_key, message, sig));
  const std::size_t letter = sig.find_first_of("abcdef");
  REQUIRE(letter != std::string::npos);
  std::string upper = sig;
  upper[letter] = static_cast<char>(upper[letter] - 'a' + 'A');
  CHECK_FALSE(verify_message(keys().key.public_key, message, upper));

  const std::string wav = keys().dir + "/case.wav";
  write_audio(wav, test::test_tone(16000, 0.25));
  Manifest m = sample_manifest("case.wav", "audio/wav");
  embed_manifest(wav, m, keys().key);
  REQUIRE(verify_manifest(wav, keys().trust).status == ManifestStatus::valid);
  const std::size_t at = m.signature.find_first_of("abcdef");
  REQUIRE(at != std::string::npos);
  std::string changed = m.signature;
  changed[at] = static_cast<char>(changed[at] - 'a' + 'A');
  for (const std::string& file : {wav, sidecar_path(wav)}) {
    std::string bytes = test::slurp(file);
    const std::size_t pos = bytes.find(m.signature);
    REQUIRE(pos != std::string::npos);
    bytes.replace(pos, changed.size(), changed);
    std::ofstream(file, std::ios::binary) << bytes;
  }
  CHECK(verify_manifest(wav, keys().trust).status != ManifestStatus::valid);
}

TEST_CASE("manifest: a signed MP4 verifies, and flipping any byte is detected", "[provenance][manifest]") {
  const std::string mp4 = keys().dir + "/clip.mp4";
  {
    VideoWriter w(mp4, 32, 32, test::test_tone(16000, 0.2));
    for (int i = 0; i < 5; ++i) w.write(cv::Mat(32, 32, CV_8UC3, cv::Scalar(40 * i, 80, 120)), i / 25.0);
    w.finish();
  }
  Manifest m = sample_manifest("clip.mp4", "video/mp4");
  m.actions = {{"c2pa.edited", kCompositeWithTrainedAlgorithmicMedia, "dubkit lipsync", "", ""}};
  embed_manifest(mp4, m, keys().key);
  REQUIRE(verify_manifest(mp4, keys().trust).status == ManifestStatus::valid);
  CHECK(still_valid_after_each_flip(mp4, mp4) == 0);
  CHECK(verify_manifest(mp4, keys().trust).status == ManifestStatus::valid);
}

TEST_CASE("manifest: other files are 'missing', never valid, hostile manifests are refused", "[provenance][manifest][bad-input]") {
  const std::string txt = keys().dir + "/notes.txt";
  std::ofstream(txt) << "hello";
  CHECK(verify_manifest(txt, keys().trust).status == ManifestStatus::missing);
  Manifest m = sample_manifest("notes.txt", "text/plain");
  CHECK_THROWS_AS(embed_manifest(txt, m, keys().key), FormatError);

  const std::string good = manifest_json(sample_manifest("a.wav", "audio/wav"));
  auto error_of = [](const std::string& json) {
    try {
      parse_manifest(json, "m.json");
    } catch (const FormatError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(error_of(good).find("64 hex digits") != std::string::npos);  // not yet embedded: no asset hash
  Manifest full = sample_manifest("a.wav", "audio/wav");
  full.asset_sha256 = std::string(64, 'c');
  const std::string ok = manifest_json(full);
  CHECK(error_of(ok).empty());
  auto in_ok = [&](const std::string& from, const std::string& to) {
    std::string s = ok;
    const std::size_t at = s.find(from);
    REQUIRE(at != std::string::npos);
    return error_of(s.replace(at, from.size(), to));
  };
  CHECK(in_ok("\"version\":1", "\"version\":7").find("version") != std::string::npos);
  CHECK(in_ok("enroll1.wav", "../../secret.wav").find("'..'") != std::string::npos);
  // A title is a file name as shown (issue 22 item 15): any bytes but '/' and NUL.
  CHECK(in_ok("enroll1.wav", "/etc/passwd").find("no '/'") != std::string::npos);
  CHECK(in_ok("enroll1.wav", "dir/x.wav").find("no '/'") != std::string::npos);
  CHECK(in_ok("\"dubkit test\"", "\"" + std::string(3000, 'x') + "\"").find("longer than") != std::string::npos);
  CHECK(in_ok("\"01020304\"", "\"0102\"").find("payload") != std::string::npos);
  CHECK(in_ok("digitalsourcetype/trainedAlgorithmicMedia", "x").find("IPTC") != std::string::npos);
  CHECK(error_of("{").find("not a JSON object") != std::string::npos);
  CHECK(error_of(std::string(17u << 20, ' ')).find("16 MiB") != std::string::npos);
}

TEST_CASE("render log: hash chain, payload lookup, and edits detected", "[provenance][render-log]") {
  const Keys& k = keys();
  const std::string log = k.dir + "/log/render.jsonl";
  for (int i = 0; i < 3; ++i) {
    RenderLogEntry e;
    e.user = "tester";
    e.action = "say";
    e.consent_id = "consent-" + std::to_string(i);
    e.outputs = {{"line" + std::to_string(i) + ".wav", std::string(64, 'a')}};
    e.watermark_payloads = {0x1000u + static_cast<std::uint32_t>(i)};
    CHECK(append_render_log(log, e, k.key).seq == i + 1);
  }
  const RenderLogCheck ok = verify_render_log(log, k.trust);
  INFO(ok.problem);
  CHECK(ok.intact);
  CHECK(ok.entries == 3);
  const auto found = find_payload(log, 0x1001u, k.trust);
  REQUIRE(found.size() == 1);
  CHECK(found[0].consent_id == "consent-1");

  const std::string text = test::slurp(log);
  std::string edited = text;
  edited.replace(edited.find("consent-1"), 9, "consent-9");
  std::ofstream(log, std::ios::binary) << edited;
  CHECK(verify_render_log(log, k.trust).first_bad_line == 2);
  // Removing an entry breaks the chain where it was.
  const std::size_t first_end = text.find('\n') + 1, second_end = text.find('\n', first_end) + 1;
  std::ofstream(log, std::ios::binary) << text.substr(0, first_end) + text.substr(second_end);
  const RenderLogCheck cut = verify_render_log(log, k.trust);
  CHECK_FALSE(cut.intact);
  CHECK(cut.first_bad_line == 2);
}

// Issue 22, item 12: deleting the last lines, editing a line and recomputing every later hash,
// or appending a forged entry (which then resolved a watermark to another consent) all gave
// "chain intact".
TEST_CASE("issue 22 item 12: the render log is signed, entry by entry and at its head", "[provenance][render-log][issue22]") {
  const Keys& k = keys();
  const std::string log = k.dir + "/log12/render.jsonl";
  RenderLogEntry e;
  e.user = "tester";
  e.action = "say";
  for (int i = 0; i < 3; ++i) {
    e.consent_id = "consent-" + std::to_string(i);
    e.watermark_payloads = {0x2000u + static_cast<std::uint32_t>(i)};
    append_render_log(log, e, k.key);
  }
  REQUIRE(verify_render_log(log, k.trust).intact);
  const std::string text = test::slurp(log), head = test::slurp(render_log_head_path(log));
  auto restore = [&] {
    std::ofstream(log, std::ios::binary) << text;
    std::ofstream(render_log_head_path(log), std::ios::binary) << head;
  };

  // The last line deleted: shorter than the signed head.
  std::ofstream(log, std::ios::binary) << text.substr(0, text.rfind('\n', text.size() - 2) + 1);
  const RenderLogCheck cut = verify_render_log(log, k.trust);
  CHECK_FALSE(cut.intact);
  CHECK(cut.problem.find("truncated: the signed head names entry 3 but the log ends at entry 2") != std::string::npos);

  // An entry edited with its hash and every later one recomputed (by appending them again with a
  // key of the forger's own): the signatures do not hold under the trust store.
  restore();
  const SigningKey forger = generate_signing_key("forger");
  const std::string forged_log = k.dir + "/log12/forged.jsonl";
  for (int i = 0; i < 3; ++i) {
    e.consent_id = i == 1 ? "consent-forged" : "consent-" + std::to_string(i);
    e.watermark_payloads = {0x2000u + static_cast<std::uint32_t>(i)};
    append_render_log(forged_log, e, forger);
  }
  const RenderLogCheck rehashed = verify_render_log(forged_log, k.trust);
  CHECK_FALSE(rehashed.intact);
  CHECK(rehashed.first_bad_line == 1);
  CHECK(rehashed.problem.find("not signed by a trusted studio key") != std::string::npos);

  // A forged entry appended for a payload of entry 2: verify ignores it when resolving the mark,
  // and the log reports it.
  std::string forged_line = test::slurp(forged_log);
  forged_line = forged_line.substr(forged_line.find('\n') + 1);
  forged_line = forged_line.substr(0, forged_line.find('\n') + 1);
  std::ofstream(log, std::ios::binary | std::ios::app) << forged_line;
  const auto resolved = find_payload(log, 0x2001u, k.trust);
  REQUIRE(resolved.size() == 1);
  CHECK(resolved[0].consent_id == "consent-1");
  CHECK_FALSE(verify_render_log(log, k.trust).intact);

  // A log without its head, or with a head its key did not sign, is not intact either.
  restore();
  fs::remove(render_log_head_path(log));
  CHECK(verify_render_log(log, k.trust).problem.find("no signed head") != std::string::npos);
  restore();
  std::string bad_head = head;
  bad_head.replace(bad_head.find("\"seq\":3"), 7, "\"seq\":2");
  std::ofstream(render_log_head_path(log), std::ios::binary) << bad_head;
  CHECK(verify_render_log(log, k.trust).problem.find("not signed by a trusted studio key") != std::string::npos);
  restore();
  CHECK(verify_render_log(log, k.trust).intact);
}
