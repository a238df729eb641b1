// dubkit models inspect | convert
#include <cstdio>
#include <memory>

#include "core/atomic_file.hpp"
#include "core/safetensors.hpp"
#include "core/weight_file.hpp"
#include "tools/commands.hpp"

namespace dubkit::cli {

void register_models(CLI::App& app) {
  auto* models = app.add_subcommand("models", "Inspect and convert weight files (safetensors, PyTorch .pt/.pth)");
  models->require_subcommand(1);
  models->footer("Example: dubkit models inspect tests/fixtures/reference/rtvc_encoder.pt");
  {
    struct Opts {
      std::string file;
      bool json = false, fold = false;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = models->add_subcommand("inspect", "List every tensor's name, dtype and shape");
    cmd->add_option("FILE", o->file, "A .safetensors file or a torch.save checkpoint")->required();
    cmd->footer("Example: dubkit models inspect tests/fixtures/reference/hifigan_v2_generator.pt --fold-weight-norm");
    cmd->add_flag("--fold-weight-norm", o->fold, "Fold weight_g/weight_v pairs into weight first");
    cmd->add_flag("--json", o->json, "Print the list as JSON");
    cmd->callback([o] {
      const TensorDict d = load_weight_file(o->file, {o->fold});
      long long params = 0;
      for (const auto& [name, t] : d.items()) params += t.numel();
      if (o->json) {
        nlohmann::ordered_json j{{"file", o->file}, {"tensors", nlohmann::ordered_json::array()}, {"parameters", params}};
        for (const auto& [name, t] : d.items())
          j["tensors"].push_back({{"name", name}, {"dtype", dtype_name(t.dtype)}, {"shape", t.shape}});
        print_json(j);
        return;
      }
      for (const auto& [name, t] : d.items())
        std::printf("%-48s %-5s %s\n", name.c_str(), dtype_name(t.dtype), shape_string(t.shape).c_str());
      std::printf("%zu tensors, %lld parameters\n", d.size(), params);
    });
  }
  {
    struct Opts {
      std::string in, out;
      bool fold = false;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = models->add_subcommand("convert", "Convert a PyTorch checkpoint to safetensors (bit-exact tensors)");
    cmd->add_option("IN", o->in, "torch.save checkpoint (.pt/.pth) or safetensors")->required();
    cmd->footer("Example: dubkit models convert tests/fixtures/reference/rtvc_encoder.pt -o /tmp/encoder.safetensors");
    cmd->add_option("-o,--output", o->out, "Output .safetensors")->required();
    cmd->add_flag("--fold-weight-norm", o->fold, "Fold weight_g/weight_v pairs into weight");
    cmd->callback([o] {
      check_output_path(o->out, {o->in});
      const TensorDict d = load_weight_file(o->in, {o->fold});
      write_safetensors(o->out, d, {{"converted_from", o->in}});
      std::fprintf(stderr, "wrote %s: %zu tensors\n", o->out.c_str(), d.size());
    });
  }
}

}  // namespace dubkit::cli
