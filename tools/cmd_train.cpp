// dubkit train encoder
#include <cstdio>
#include <memory>

#include "core/progress.hpp"
#include "tools/commands.hpp"
#include "train/encoder_trainer.hpp"

namespace dubkit::cli {

void register_train(CLI::App& app) {
  auto* train = app.add_subcommand("train", "Train dubkit's own models on a corpus");
  train->require_subcommand(1);
  struct Opts {
    EncoderTrainOptions e;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = train->add_subcommand("encoder", "Train the GE2E speaker encoder (checkpoints, loss.csv/png, encoder.safetensors)");
  cmd->add_option("--corpus", o->e.corpus_dir, "Corpus directory (dubkit corpus build)")->required();
  cmd->add_option("--out", o->e.out_dir, "Output directory")->required();
  cmd->add_option("--steps", o->e.steps, "Total optimisation steps")->capture_default_str();
  cmd->add_option("--speakers", o->e.speakers, "Speakers per batch")->capture_default_str();
  cmd->add_option("--utterances", o->e.utterances, "Utterances per speaker per batch")->capture_default_str();
  cmd->add_option("--frames", o->e.frames, "Mel frames per training window (10 ms each)")->capture_default_str();
  cmd->add_option("--lr", o->e.lr, "Peak learning rate (Adam)")->capture_default_str();
  cmd->add_option("--warmup", o->e.warmup, "Warm-up steps")->capture_default_str();
  cmd->add_option("--hidden", o->e.model.hidden, "LSTM hidden units (SV2TTS: 256)")->capture_default_str();
  cmd->add_option("--layers", o->e.model.layers, "LSTM layers")->capture_default_str();
  cmd->add_option("--checkpoint-every", o->e.checkpoint_every, "Steps between checkpoints")->capture_default_str();
  cmd->add_option("--validate-every", o->e.validate_every, "Steps between validation EERs")->capture_default_str();
  cmd->add_option("--seed", o->e.seed, "Seed (initialisation and batches)")->capture_default_str();
  cmd->add_option("--threads", o->e.threads, "CPU threads")->capture_default_str();
  cmd->add_flag("--resume", o->e.resume, "Continue from the latest checkpoint in --out");
  cmd->add_flag("--json", o->json, "Print the report as JSON");
  cmd->footer("Example: dubkit train encoder --corpus corpus --out runs/encoder --steps 3000\n"
              "Resume:  dubkit train encoder --corpus corpus --out runs/encoder --steps 3000 --resume");
  train->footer("Example: dubkit train encoder --corpus corpus --out runs/encoder");
  cmd->callback([o] {
    Progress progress("train encoder", o->e.steps, !o->json);
    const EncoderTrainReport r = train_encoder(o->e, [&](long step, double) { progress.update(step); });
    progress.done();
    if (o->json) {
      print_json({{"steps", r.steps}, {"final_loss", r.final_loss}, {"val_eer", r.val_eer}, {"threshold", r.threshold},
                  {"seconds", r.seconds}, {"model", o->e.out_dir + "/encoder.safetensors"}});
      return;
    }
    std::printf("%ld steps, loss %.4f, val EER %.2f%% (threshold %.4f), %.0f s -> %s/encoder.safetensors\n", r.steps,
                r.final_loss, 100 * r.val_eer, r.threshold, r.seconds, o->e.out_dir.c_str());
  });
}

}  // namespace dubkit::cli
