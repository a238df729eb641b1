// dubkit voice embed
#include <cstdio>
#include <memory>

#include "audio/io.hpp"
#include "audio/resample.hpp"
#include "core/torch_bridge.hpp"
#include "core/weight_file.hpp"
#include "tools/commands.hpp"
#include "voice/speaker_encoder.hpp"

namespace dubkit::cli {

namespace {

// A safetensors file or a torch.save checkpoint (e.g. SV2TTS's encoder.pt).
SpeakerEncoder load_encoder(const std::string& path) {
  SpeakerEncoder enc;
  load_weights(*enc, load_weight_file(path), path);
  enc->eval();
  return enc;
}

}  // namespace

void register_voice(CLI::App& app) {
  auto* voice = app.add_subcommand("voice", "Speaker embeddings");
  voice->require_subcommand(1);
  struct Opts {
    std::vector<std::string> files;
    std::string encoder;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = voice->add_subcommand("embed", "Print the 256-d GE2E speaker embedding of each file");
  cmd->add_option("FILE", o->files, "Audio files (mixed to mono, resampled to 16 kHz)")->required();
  cmd->add_option("--encoder", o->encoder, "Encoder weights: safetensors or a torch.save checkpoint with SV2TTS keys")
      ->required();
  cmd->add_flag("--json", o->json, "Print the embeddings as JSON");
  cmd->footer("Example: dubkit voice embed samples/sample.wav --encoder ../shared/fixtures/reference/rtvc_encoder.pt --json");
  voice->footer("Example: dubkit voice embed samples/sample.wav --encoder ENCODER.safetensors");
  cmd->callback([o] {
    SpeakerEncoder enc = load_encoder(o->encoder);
    nlohmann::ordered_json j = nlohmann::ordered_json::array();
    for (const std::string& f : o->files) {
      const torch::Tensor e = embed_utterance(enc, resample(read_mono(f), 16000)).contiguous();
      const std::vector<float> v(e.data_ptr<float>(), e.data_ptr<float>() + e.numel());
      if (o->json) {
        j.push_back({{"file", f}, {"embedding", v}});
        continue;
      }
      std::printf("%s", f.c_str());
      for (float x : v) std::printf(" %.6f", x);
      std::printf("\n");
    }
    if (o->json) print_json(j);
  });
}

}  // namespace dubkit::cli
