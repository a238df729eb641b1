// corpus real on one small real source, fetched from Debian as a user's build would (about
// 10 MB, into a cache kept in the build tree so reruns fetch nothing), then the trainers'
// evaluations reading it.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "audio/io.hpp"
#include "corpus/manifest.hpp"
#include "support.hpp"
#include "tools/cli_support.hpp"

using namespace dubkit;
using test::Result;
using test::run_dubkit;
namespace fs = std::filesystem;

TEST_CASE("corpus real fetches a Debian source, cleans it, credits its voice, and vocoder eval reads it",
          "[e2e][corpus]") {
  const std::string dir = test::temp_dir("cli-corpus-real");
  const std::vector<std::string> args = {"corpus", "real", "--out", dir, "--sources", "asterisk-en", "--max-per-source", "40",
                                         "--cache", DUBKIT_PACKAGE_CACHE, "--json"};
  const Result built = run_dubkit(args, 600);
  REQUIRE(built.code == 0);
  const auto summary = nlohmann::json::parse(built.out);
  CHECK(summary["failed_sources"].empty());
  const auto& source = summary["sources"]["asterisk-en"];
  CHECK(source["listed"] == 40);
  CHECK(source["kept"].get<int>() >= 30);  // a few prompts are cut or silent; each is counted by rule
  CHECK(source["audio_without_transcript"].get<int>() > 0);  // Asterisk ships some prompts untranscribed

  const std::vector<CorpusUtterance> m = read_manifest(dir);
  REQUIRE(static_cast<int>(m.size()) == source["kept"].get<int>());
  for (const CorpusUtterance& u : m) {
    CHECK(u.speaker == "asterisk-allison");
    CHECK(u.lang == "en");
    CHECK(!u.text.empty());
    CHECK(!u.phonemes.empty());
    CHECK(u.split == "test");  // one short speaker: held out
  }
  CHECK(read_mono(dir + "/" + m.front().path).rate == 16000);
  std::ifstream credits(dir + "/CREDITS.md");
  const std::string text((std::istreambuf_iterator<char>(credits)), std::istreambuf_iterator<char>());
  CHECK(text.find("Allison Smith") != std::string::npos);
  CHECK(text.find("CC-BY-SA-3.0") != std::string::npos);
  CHECK(fs::exists(dir + "/credits/asterisk-core-sounds-en.copyright"));

  // A second run reuses the cache and the finished recordings: the same manifest.
  std::ifstream first(dir + "/manifest.jsonl");
  const std::string before((std::istreambuf_iterator<char>(first)), std::istreambuf_iterator<char>());
  REQUIRE(run_dubkit(args, 120).code == 0);
  std::ifstream second(dir + "/manifest.jsonl");
  CHECK(std::string((std::istreambuf_iterator<char>(second)), std::istreambuf_iterator<char>()) == before);

  const Result eval = run_dubkit({"vocoder", "eval", "--corpus", dir, "--split", "test", "--utterances", "3", "--json"}, 300);
  REQUIRE(eval.code == 0);
  const auto e = nlohmann::json::parse(eval.out);
  CHECK(e["utterances"] == 3);
}
