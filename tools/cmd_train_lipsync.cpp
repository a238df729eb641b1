// dubkit train syncnet | lipsync
#include <cstdio>
#include <memory>

#include "core/progress.hpp"
#include "tools/commands.hpp"
#include "train/lipsync_trainer.hpp"
#include "train/syncnet_trainer.hpp"

namespace dubkit::cli {

void register_train_syncnet(CLI::App* train) {
  struct Opts {
    SyncNetTrainOptions s;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = train->add_subcommand(
      "syncnet", "Train the colour SyncNet lip-sync expert on talking-face clips (checkpoints, loss.csv/png, sync_expert.safetensors)");
  cmd->add_option("--faces", o->s.faces_dir, "Talking-face clips (dubkit corpus faces)")->required();
  cmd->add_option("--corpus", o->s.corpus_dir, "The audio corpus the clips were made from")->required();
  cmd->add_option("--out", o->s.out_dir, "Output directory")->required();
  cmd->add_option("--width", o->s.model.width, "Channels relative to the public expert")->capture_default_str();
  cmd->add_option("--steps", o->s.steps, "Total optimisation steps")->capture_default_str();
  cmd->add_option("--batch", o->s.batch, "Face windows per step, each ranked against its shifted audio")->capture_default_str();
  cmd->add_option("--temperature", o->s.temperature, "Cosine scale of the ranking loss")->capture_default_str();
  cmd->add_option("--lr", o->s.lr, "Peak learning rate (AdamW)")->capture_default_str();
  cmd->add_option("--warmup", o->s.warmup, "Warm-up steps")->capture_default_str();
  cmd->add_option("--max-clips", o->s.max_clips, "Use the first N train clips (0 = all)")->capture_default_str();
  cmd->add_option("--checkpoint-every", o->s.checkpoint_every, "Steps between checkpoints")->capture_default_str();
  cmd->add_option("--validate-every", o->s.validate_every, "Steps between validations")->capture_default_str();
  cmd->add_option("--seed", o->s.seed, "Seed (initialisation, pairs)")->capture_default_str();
  cmd->add_option("--threads", o->s.threads, "CPU threads")->capture_default_str();
  cmd->add_flag("--resume", o->s.resume, "Continue from the latest checkpoint in --out");
  cmd->add_flag("--half", o->s.half, "Write the final model in float16");
  cmd->add_flag("--json", o->json, "Print the report as JSON");
  cmd->footer("Example: dubkit train syncnet --faces faces --corpus corpus --out runs/syncnet --width 0.25 --steps 4000\n"
              "Resume:  the same command with --resume");
  cmd->callback([o] {
    Progress progress("train syncnet", o->s.steps, !o->json);
    const SyncNetTrainReport r = train_syncnet(o->s, [&](long step, double) { progress.update(step); });
    progress.done();
    if (o->json) {
      print_json({{"steps", r.steps}, {"final_loss", r.final_loss}, {"val_loss", r.val_loss}, {"val_accuracy", r.val_accuracy},
                  {"seconds", r.seconds}, {"model", o->s.out_dir + "/sync_expert.safetensors"}});
      return;
    }
    std::printf("%ld steps, loss %.4f, val loss %.4f, val accuracy %.1f%%, %.0f s -> %s/sync_expert.safetensors\n", r.steps,
                r.final_loss, r.val_loss, 100 * r.val_accuracy, r.seconds, o->s.out_dir.c_str());
  });
}

void register_train_lipsync(CLI::App* train) {
  struct Opts {
    LipSyncTrainOptions l;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = train->add_subcommand(
      "lipsync", "Train the Wav2Lip generator with the expert's sync loss (checkpoints, loss.csv/png, val/ PNGs, lipsync.safetensors)");
  cmd->add_option("--faces", o->l.faces_dir, "Talking-face clips (dubkit corpus faces)")->required();
  cmd->add_option("--corpus", o->l.corpus_dir, "The audio corpus the clips were made from")->required();
  cmd->add_option("--out", o->l.out_dir, "Output directory")->required();
  cmd->add_option("--expert", o->l.expert, "Sync expert (dubkit train syncnet, or the public lipsync_expert.pth)");
  cmd->add_option("--init", o->l.init, "Generator weights to start from");
  cmd->add_option("--face-size", o->l.model.face_size, "Aligned crop side: 96 (public), 128, 192, 256")->capture_default_str();
  cmd->add_option("--width", o->l.model.width, "Channels relative to the public generator")->capture_default_str();
  cmd->add_option("--steps", o->l.steps, "Total optimisation steps")->capture_default_str();
  cmd->add_option("--batch", o->l.batch, "Samples of 5 frames per step")->capture_default_str();
  cmd->add_option("--lr", o->l.lr, "Peak learning rate (AdamW)")->capture_default_str();
  cmd->add_option("--warmup", o->l.warmup, "Warm-up steps")->capture_default_str();
  cmd->add_option("--sync-weight", o->l.sync_weight, "Weight of the expert's sync loss")->capture_default_str();
  cmd->add_option("--sync-start", o->l.sync_start, "Steps of reconstruction only before the sync loss joins")->capture_default_str();
  cmd->add_option("--gan-weight", o->l.gan_weight, "Weight of the quality discriminator's loss (0 = none; public GAN model: 0.07)")
      ->capture_default_str();
  cmd->add_option("--disc-width", o->l.disc_width, "Quality discriminator channels relative to the public one")->capture_default_str();
  cmd->add_option("--max-clips", o->l.max_clips, "Use the first N train clips (0 = all)")->capture_default_str();
  cmd->add_option("--checkpoint-every", o->l.checkpoint_every, "Steps between checkpoints")->capture_default_str();
  cmd->add_option("--validate-every", o->l.validate_every, "Steps between validations")->capture_default_str();
  cmd->add_option("--seed", o->l.seed, "Seed (initialisation, samples)")->capture_default_str();
  cmd->add_option("--threads", o->l.threads, "CPU threads")->capture_default_str();
  cmd->add_flag("--resume", o->l.resume, "Continue from the latest checkpoint in --out");
  cmd->add_flag("--half", o->l.half, "Write the final model in float16");
  cmd->add_flag("--json", o->json, "Print the report as JSON");
  cmd->footer("Example: dubkit train lipsync --faces faces --corpus corpus --out runs/lipsync --expert runs/syncnet/sync_expert.safetensors --width 0.25\n"
              "Resume:  the same command with --resume");
  cmd->callback([o] {
    Progress progress("train lipsync", o->l.steps, !o->json);
    const LipSyncTrainReport r = train_lipsync(o->l, [&](long step, double) { progress.update(step); });
    progress.done();
    if (o->json) {
      print_json({{"steps", r.steps}, {"final_loss", r.final_loss}, {"val_l1", r.val_l1}, {"val_sync", r.val_sync},
                  {"seconds", r.seconds}, {"model", o->l.out_dir + "/lipsync.safetensors"}});
      return;
    }
    std::printf("%ld steps, loss %.4f, val L1 %.4f, val sync %.3f, %.0f s -> %s/lipsync.safetensors\n", r.steps, r.final_loss,
                r.val_l1, r.val_sync, r.seconds, o->l.out_dir.c_str());
  });
}

}  // namespace dubkit::cli
