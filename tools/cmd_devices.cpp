// dubkit devices | play | record (PortAudio)
#include <cstdio>
#include <memory>

#include "audio/devices.hpp"
#include "audio/io.hpp"
#include "tools/commands.hpp"

namespace dubkit::cli {

void register_devices(CLI::App& app) {
  {
    auto json = std::make_shared<bool>(false);
    auto* cmd = app.add_subcommand("devices", "List audio devices (PortAudio)");
    cmd->add_flag("--json", *json, "Print the list as JSON");
    cmd->footer("Example: dubkit devices --json");
    cmd->callback([json] {
      const auto devs = list_audio_devices();
      if (*json) {
        nlohmann::ordered_json j = nlohmann::ordered_json::array();
        for (const auto& d : devs)
          j.push_back({{"index", d.index}, {"name", d.name}, {"host_api", d.host_api},
                       {"inputs", d.max_input_channels}, {"outputs", d.max_output_channels},
                       {"default_rate", d.default_rate}, {"default_input", d.default_input},
                       {"default_output", d.default_output}});
        print_json(j);
        return;
      }
      if (devs.empty()) std::printf("no audio devices found\n");
      for (const auto& d : devs)
        std::printf("%3d  %-40s %-6s in %d  out %d  %.0f Hz%s%s\n", d.index, d.name.c_str(), d.host_api.c_str(),
                    d.max_input_channels, d.max_output_channels, d.default_rate,
                    d.default_input ? "  [default input]" : "", d.default_output ? "  [default output]" : "");
    });
  }
  {
    auto file = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand("play", "Play an audio file on the default output device");
    cmd->add_option("FILE", *file, "Audio file")->required();
    cmd->footer("Example: dubkit play samples/sample.wav");
    cmd->callback([file] { play(read_mono(*file)); });
  }
  {
    struct Opts {
      std::string out;
      double seconds = 5;
      int rate = 16000;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand("record", "Record from the default input device");
    cmd->add_option("OUT", o->out, "Output file (.wav, .flac, .ogg)")->required();
    cmd->footer("Example: dubkit record /tmp/take.wav --seconds 5");
    cmd->add_option("--seconds", o->seconds, "How long to record")->capture_default_str();
    cmd->add_option("--rate", o->rate, "Sample rate in Hz")->capture_default_str();
    cmd->callback([o] {
      check_audio_output(o->out, o->rate, 1);  // fail before recording, not after
      write_audio(o->out, record(o->seconds, o->rate));
    });
  }
}

}  // namespace dubkit::cli
