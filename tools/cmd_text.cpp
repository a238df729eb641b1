// dubkit text phonemes
#include <cstdio>
#include <memory>

#include "text/phonemizer.hpp"
#include "tools/commands.hpp"

namespace dubkit::cli {

void register_text(CLI::App& app) {
  auto* text = app.add_subcommand("text", "Text front end: normalisation and phonemes");
  text->require_subcommand(1);
  struct Opts {
    std::string lang = "en-us", text;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = text->add_subcommand("phonemes", "Print the normalised text and its IPA phonemes (espeak-ng)");
  cmd->add_option("TEXT", o->text, "The text (UTF-8)")->required();
  cmd->add_option("--lang", o->lang, "espeak-ng language: en-us, en-gb, es, de, fr, ...")->capture_default_str();
  cmd->add_flag("--json", o->json, "Print the result as JSON, symbols included");
  cmd->footer("Example: dubkit text phonemes --lang en-us \"Dr. Smith paid $5.20 at 3:45 pm.\"");
  text->footer("Example: dubkit text phonemes --lang es \"Hola, ¿cómo estás?\"");
  cmd->callback([o] {
    const Phonemes p = phonemize(o->text, o->lang);
    if (o->json) {
      print_json({{"lang", o->lang}, {"text", o->text}, {"normalized", p.normalized}, {"ipa", p.ipa}, {"symbols", p.symbols}});
      return;
    }
    std::printf("%s\n%s\n", p.normalized.c_str(), p.ipa.c_str());
  });
}

}  // namespace dubkit::cli
