// dubkit train encoder | synth | vocoder (syncnet and lipsync: cmd_train_lipsync.cpp; aligner: cmd_align.cpp)
#include <cstdio>
#include <memory>

#include "core/progress.hpp"
#include "tools/commands.hpp"
#include "train/encoder_trainer.hpp"
#include "train/synth_trainer.hpp"
#include "train/vocoder_trainer.hpp"

namespace dubkit::cli {

namespace {

void register_train_synth(CLI::App* train) {
  struct Opts {
    SynthTrainOptions s;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  SynthesizerConfig& m = o->s.model;
  auto* cmd = train->add_subcommand(
      "synth", "Train the duration-controlled synthesizer (checkpoints, loss.csv/png, val/ PNGs and WAVs, synthesizer.safetensors)");
  cmd->add_option("--corpus", o->s.corpus_dir, "Corpus directory (dubkit corpus build or real); its val utterances validate")->required();
  cmd->add_option("--also", o->s.more_corpora, "More corpora whose train utterances join the data (repeatable)");
  cmd->add_option("--preset", m.mel_preset, "Mel preset of the targets: wav2lip-16k, or dubkit-22k (the corpora need their 22050 Hz copy)")
      ->capture_default_str();
  cmd->add_option("--encoder", o->s.encoder_path, std::string("Speaker encoder (default: models/") + kDefaultEncoder + ")");
  cmd->add_option("--out", o->s.out_dir, "Output directory")->required();
  cmd->add_option("--steps", o->s.steps, "Total optimisation steps")->capture_default_str();
  cmd->add_option("--batch", o->s.batch, "Utterances per step")->capture_default_str();
  cmd->add_option("--lr", o->s.lr, "Peak learning rate (Adam)")->capture_default_str();
  cmd->add_option("--warmup", o->s.warmup, "Warm-up steps")->capture_default_str();
  cmd->add_option("--clip", o->s.clip, "Gradient norm clip")->capture_default_str();
  cmd->add_option("--duration-weight", o->s.duration_weight, "Weight of the duration loss")->capture_default_str();
  cmd->add_option("--max-seconds", o->s.max_seconds, "Leave out longer utterances")->capture_default_str();
  cmd->add_option("--symbol-dim", m.symbol_dim, "Phone embedding and encoder conv width")->capture_default_str();
  cmd->add_option("--encoder-lstm", m.encoder_lstm, "Encoder BiLSTM units per direction")->capture_default_str();
  cmd->add_option("--decoder-lstm", m.decoder_lstm, "Decoder LSTM units per layer")->capture_default_str();
  cmd->add_option("--decoder-layers", m.decoder_layers, "Decoder LSTM layers")->capture_default_str();
  cmd->add_option("--prenet", m.prenet, "Prenet width")->capture_default_str();
  cmd->add_option("--reduction", m.reduction, "Mel frames per decoder step (r)")->capture_default_str();
  cmd->add_option("--postnet-channels", m.postnet_channels, "Postnet channels")->capture_default_str();
  cmd->add_option("--checkpoint-every", o->s.checkpoint_every, "Steps between checkpoints")->capture_default_str();
  cmd->add_option("--validate-every", o->s.validate_every, "Steps between validations")->capture_default_str();
  cmd->add_option("--seed", o->s.seed, "Seed (initialisation, batches, dropout)")->capture_default_str();
  cmd->add_option("--threads", o->s.threads, "CPU threads")->capture_default_str();
  cmd->add_flag("--resume", o->s.resume, "Continue from the latest checkpoint in --out");
  cmd->add_flag("--half", o->s.half, "Write the final model in float16");
  cmd->add_flag("--json", o->json, "Print the report as JSON");
  cmd->footer("Example: dubkit train synth --corpus corpus --out runs/synth --steps 6000\n"
              "Resume:  dubkit train synth --corpus corpus --out runs/synth --steps 6000 --resume\n"
              "GPU-sized (real data): --symbol-dim 512 --encoder-lstm 256 --decoder-lstm 1024 --prenet 256 --postnet-channels 512 --batch 32");
  cmd->callback([o] {
    o->s.encoder_path = model_path(o->s.encoder_path, kDefaultEncoder, "--encoder");
    if (!o->json) std::fprintf(stderr, "train synth: preparing mels, durations and speaker embeddings of %s\n", o->s.corpus_dir.c_str());
    Progress progress("train synth", o->s.steps, !o->json);
    const SynthTrainReport r = train_synthesizer(o->s, [&](long step, double) { progress.update(step); });
    progress.done();
    if (o->json) {
      print_json({{"steps", r.steps}, {"final_loss", r.final_loss}, {"val_mel_l1", r.val_mel_l1},
                  {"val_free_mel_l1", r.val_free_mel_l1}, {"val_duration_error_frames", r.val_duration_error},
                  {"seconds", r.seconds}, {"model", o->s.out_dir + "/synthesizer.safetensors"}});
      return;
    }
    std::printf("%ld steps, loss %.4f, val mel L1 %.4f (free-running %.4f), duration error %.2f frames, %.0f s -> %s/synthesizer.safetensors\n",
                r.steps, r.final_loss, r.val_mel_l1, r.val_free_mel_l1, r.val_duration_error, r.seconds, o->s.out_dir.c_str());
  });
}

void register_train_vocoder(CLI::App* train) {
  struct Opts {
    VocoderTrainOptions v;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  ConvNextVocoderConfig& m = o->v.model;
  auto* cmd = train->add_subcommand(
      "vocoder", "Train a vocoder with the HiFi-GAN recipe (checkpoints, loss.csv/png, val/ WAVs, vocoder.safetensors)");
  cmd->add_option("--corpus", o->v.corpus_dir, "Corpus directory (dubkit corpus build or real); its val utterances validate")
      ->required();
  cmd->add_option("--also", o->v.more_corpora, "More corpora whose train utterances join the data (repeatable)");
  cmd->add_option("--out", o->v.out_dir, "Output directory")->required();
  cmd->add_option("--arch", o->v.architecture, "Generator: convnext-istft (the default vocoder's) or hifigan")
      ->check(CLI::IsMember({"convnext-istft", "hifigan"}))->capture_default_str();
  cmd->add_option("--config", o->v.hifigan_config, "HiFi-GAN config.json (with --arch hifigan; add \"mel_preset\": \"wav2lip-16k\" and a hop of 200 for the corpus)");
  cmd->add_option("--init", o->v.init, "Generator weights to start from (dubkit vocoder file or public HiFi-GAN checkpoint)");
  cmd->add_option("--finetune-synth", o->v.finetune_synth, "Synthesizer whose teacher-forced mels replace the analysed ones");
  cmd->add_option("--encoder", o->v.encoder_path, std::string("Speaker encoder for --finetune-synth (default: models/") + kDefaultEncoder + ")");
  cmd->add_option("--steps", o->v.steps, "Total optimisation steps")->capture_default_str();
  cmd->add_option("--batch", o->v.batch, "Excerpts per step")->capture_default_str();
  cmd->add_option("--segment", o->v.segment, "Samples per excerpt")->capture_default_str();
  cmd->add_option("--lr", o->v.lr, "Peak learning rate (AdamW, both networks)")->capture_default_str();
  cmd->add_option("--warmup", o->v.warmup, "Warm-up steps")->capture_default_str();
  cmd->add_option("--gan-start", o->v.gan_start, "Steps of reconstruction losses only before the discriminators join")->capture_default_str();
  cmd->add_option("--disc-width", o->v.disc_width, "Discriminator channels relative to the public recipe")->capture_default_str();
  cmd->add_option("--mel-weight", o->v.mel_weight, "Weight of the log-mel L1 loss")->capture_default_str();
  cmd->add_option("--stft-weight", o->v.stft_weight, "Weight of the multi-resolution STFT loss")->capture_default_str();
  cmd->add_option("--fm-weight", o->v.fm_weight, "Weight of the feature-matching loss")->capture_default_str();
  cmd->add_option("--preset", m.mel_preset, "convnext-istft: the mel preset it takes (wav2lip-16k, dubkit-22k); the corpus needs audio at its rate")
      ->capture_default_str();
  cmd->add_option("--dim", m.dim, "convnext-istft: channels")->capture_default_str();
  cmd->add_option("--intermediate", m.intermediate, "convnext-istft: MLP width")->capture_default_str();
  cmd->add_option("--layers", m.layers, "convnext-istft: blocks")->capture_default_str();
  cmd->add_option("--max-utterances", o->v.max_utterances, "Use the first N train utterances (0 = all)")->capture_default_str();
  cmd->add_option("--checkpoint-every", o->v.checkpoint_every, "Steps between checkpoints")->capture_default_str();
  cmd->add_option("--validate-every", o->v.validate_every, "Steps between validations")->capture_default_str();
  cmd->add_option("--seed", o->v.seed, "Seed (initialisation, excerpts)")->capture_default_str();
  cmd->add_option("--threads", o->v.threads, "CPU threads")->capture_default_str();
  cmd->add_flag("--resume", o->v.resume, "Continue from the latest checkpoint in --out");
  cmd->add_flag("--half", o->v.half, "Write the final model in float16");
  cmd->add_flag("--json", o->json, "Print the report as JSON");
  cmd->footer("Example: dubkit train vocoder --corpus corpus --out runs/vocoder --steps 6000 --gan-start 2000\n"
              "Resume:  dubkit train vocoder --corpus corpus --out runs/vocoder --steps 6000 --gan-start 2000 --resume\n"
              "Fine-tune on synthesizer output: --init runs/vocoder/vocoder.safetensors --finetune-synth models/synthesizer.safetensors");
  cmd->callback([o] {
    if (!o->v.finetune_synth.empty()) o->v.encoder_path = model_path(o->v.encoder_path, kDefaultEncoder, "--encoder");
    if (!o->json) std::fprintf(stderr, "train vocoder: reading %s\n", o->v.corpus_dir.c_str());
    Progress progress("train vocoder", o->v.steps, !o->json);
    const VocoderTrainReport r = train_vocoder(o->v, [&](long step, double) { progress.update(step); });
    progress.done();
    if (o->json) {
      print_json({{"steps", r.steps}, {"final_loss", r.final_loss}, {"val_mel_l1", r.val_mel_l1},
                  {"seconds", r.seconds}, {"model", o->v.out_dir + "/vocoder.safetensors"}});
      return;
    }
    std::printf("%ld steps, loss %.4f, val log-mel L1 %.4f, %.0f s -> %s/vocoder.safetensors\n", r.steps, r.final_loss,
                r.val_mel_l1, r.seconds, o->v.out_dir.c_str());
  });
}

}  // namespace

void register_train(CLI::App& app) {
  auto* train = app.add_subcommand("train", "Train dubkit's own models on a corpus");
  train->require_subcommand(1);
  struct Opts {
    EncoderTrainOptions e;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = train->add_subcommand("encoder", "Train the GE2E speaker encoder (checkpoints, loss.csv/png, encoder.safetensors)");
  cmd->add_option("--corpus", o->e.corpus_dir,
                  "Main corpus (dubkit corpus build or real): its val speakers validate and calibrate the threshold")
      ->required();
  cmd->add_option("--also", o->e.more_corpora, "More corpora whose train speakers join the batches (repeatable)");
  cmd->add_option("--pseudo-speakers", o->e.pseudo_speakers, "Perturbed pseudo-speakers made from each train speaker of --corpus")
      ->capture_default_str();
  cmd->add_option("--pseudo-seconds", o->e.pseudo_seconds, "Speech perturbed for each pseudo-speaker")->capture_default_str();
  cmd->add_option("--main-share", o->e.main_share, "Share of each batch's speakers from --corpus and its pseudo-speakers")
      ->capture_default_str();
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
  cmd->add_option("--init", o->e.init, "Start from this trained encoder's weights (same shape) instead of random ones");
  cmd->add_flag("--json", o->json, "Print the report as JSON");
  cmd->footer("Example: dubkit train encoder --corpus corpus --out runs/encoder --steps 3000\n"
              "Real:    dubkit train encoder --corpus real --also corpus --pseudo-speakers 4 --out runs/encoder\n"
              "Resume:  dubkit train encoder --corpus corpus --out runs/encoder --steps 3000 --resume");
  train->footer("Example: dubkit train encoder --corpus corpus --out runs/encoder\n"
                "         dubkit train synth --corpus corpus --out runs/synth");
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
  register_train_synth(train);
  register_train_vocoder(train);
  register_train_syncnet(train);
  register_train_lipsync(train);
  register_train_aligner(train);
}

}  // namespace dubkit::cli
