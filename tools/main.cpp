// dubkit: one binary, git-style subcommands. Exit status: 0 success, 2 usage error (bad flag,
// bad value), 1 any other failure. Errors go to stderr.
#include <cstdio>
#include <exception>

#include "core/error.hpp"
#include "tools/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"dubkit: consented voice cloning and lip-sync dubbing toolkit"};
  app.set_version_flag("--version", std::string("dubkit ") + DUBKIT_VERSION);
  app.require_subcommand(1);
  app.footer("Example: dubkit vocode samples/sample.wav -o /tmp/resynth.wav --vocoder griffinlim\n"
             "Run 'dubkit <command> --help' for a command's options.");
  dubkit::cli::register_doctor(app);
  dubkit::cli::register_audio(app);
  dubkit::cli::register_devices(app);
  dubkit::cli::register_vocode(app);
  dubkit::cli::register_vocoder(app);
  dubkit::cli::register_models(app);
  dubkit::cli::register_text(app);
  dubkit::cli::register_corpus(app);
  dubkit::cli::register_train(app);
  dubkit::cli::register_align(app);
  dubkit::cli::register_consent(app);
  dubkit::cli::register_voice(app);
  dubkit::cli::register_say(app);
  dubkit::cli::register_synth(app);
  dubkit::cli::register_lipsync(app);
  dubkit::cli::register_faces(app);
  dubkit::cli::register_sync(app);
  dubkit::cli::register_dub(app);
  dubkit::cli::register_verify(app);
  dubkit::cli::register_review(app);
  dubkit::cli::register_watermark(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  } catch (const dubkit::InvalidArgument& e) {
    std::fprintf(stderr, "dubkit: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dubkit: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
