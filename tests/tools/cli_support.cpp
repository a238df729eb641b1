#include "tools/cli_support.hpp"

#include <catch2/catch.hpp>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>

#include "audio/io.hpp"
#include "core/error.hpp"
#include "corpus/engines.hpp"
#include "provenance/consent.hpp"
#include "support.hpp"

namespace dubkit::test {
namespace {

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

BaseVoice flite_voice(const std::string& id) {
  for (const BaseVoice& v : base_voices({"en"}))
    if (v.id == id) return v;
  throw InvalidArgument("no base voice " + id);
}

}  // namespace

std::string sample_wav() { return std::string(DUBKIT_SAMPLES_DIR) + "/sample.wav"; }

Studio::Studio()
    : dir(temp_dir("cli-studio")), key(dir + "/studio.key"), trust(dir + "/trust"), log(dir + "/render-log.jsonl"),
      consent(dir + "/consent.json"), profile(dir + "/narrator.voice") {
  REQUIRE(run_dubkit({"consent", "init-key", "--name", "Harbor Sound", "-o", key, "--trust", trust}).code == 0);
  // A fixed challenge: flite's readings are heard at word error rates near the 25% bar, and
  // this reading passes; `consent statement` draws a fresh challenge each time.
  ConsentRecord r;
  r.performer = "Peter Brown";
  r.studio = "Harbor Sound";
  r.statement = SpokenStatement{"", "basket dinner hammer monkey", "", ""};
  const std::string statement = dir + "/statement.wav";
  write_audio(statement, speak(flite_voice("flite-slt"), consent_statement_text(r), 1).wave);
  const Result created = run_dubkit({"consent", "create", "--performer", "Peter Brown", "--studio", "Harbor Sound",
                                     "--project", "CLI test", "--uses", "dubbing,lip-sync", "--languages", "en,es",
                                     "--valid-until", "2099-12-31", "--revocation", "test-revocations",
                                     "--challenge", r.statement->challenge, "--statement-audio", statement,
                                     "--key", key, "-o", consent});
  REQUIRE(created.code == 0);
}

std::vector<std::string> Studio::with_keys(std::vector<std::string> args) const {
  for (const std::string& a : {std::string("--key"), key, std::string("--trust"), trust}) args.push_back(a);
  return args;
}

Studio& studio() {
  static Studio s;
  return s;
}

Result run_dubkit(const std::vector<std::string>& args, int timeout_s, const std::string& stdin_path) {
  static int n = 0;
  const std::string dir = temp_dir("cli-io");
  const std::string out = dir + "/out" + std::to_string(n) + ".txt", err = dir + "/err" + std::to_string(n++) + ".txt";
  std::string cmd = "timeout " + std::to_string(timeout_s) + " " + quote(DUBKIT_BINARY);
  for (const auto& a : args) cmd += " " + quote(a);
  cmd += " <" + quote(stdin_path) + " >" + quote(out) + " 2>" + quote(err);
  const int status = std::system(cmd.c_str());
  Result r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
  UNSCOPED_INFO("dubkit exit " << r.code << "\nstdout: " << r.out << "\nstderr: " << r.err);
  return r;
}

std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> v;
  for (const auto& e : std::filesystem::directory_iterator(dir)) v.push_back(e.path().filename().string());
  return v;
}

}  // namespace dubkit::test
