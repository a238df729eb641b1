// `dubkit train lipsync`: trains the Wav2Lip generator (lipsync/wav2lip.hpp) on the
// talking-face corpus with the public wav2lip_train.py recipe:
//   each sample is 5 consecutive frames; each frame's input is its own crop with the lower half
//   masked plus a reference crop from elsewhere in the clip (so the mouth cannot be copied),
//   and its own mel window (16 frames from round(80 t));
//   loss = (1 - sync_weight - gan_weight) x L1(generated, real)
//        + sync_weight x BCE(expert cosine of the 5 generated lower halves and the window's mel, 1)
//        + gan_weight x BCE(quality discriminator(generated), 1)
//   the frozen expert (train syncnet) judges sync; the optional quality discriminator
//   (lipsync/quality_discriminator.hpp) learns real vs generated lower halves alongside.
//
// Where it departs from the public recipe: the sync loss starts at a fixed step (`sync_start`;
// public: once the val sync loss drops below 0.75), AdamW with warm-up and cosine decay, and the
// width and face-size knobs of LipSyncConfig.
//
// The samples of step s depend only on (seed, s), so a resumed run continues exactly.
// OUT/run.json, OUT/checkpoints/step_NNNNNNN/ (generator.safetensors, discriminator.safetensors,
// optimizer_g.pt, optimizer_d.pt), OUT/loss.csv + loss.png, OUT/val/step_NNNNNNN.png (real |
// generated | reference), final model OUT/lipsync.safetensors.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "lipsync/wav2lip.hpp"

namespace dubkit {

struct LipSyncTrainOptions {
  std::string faces_dir;          // corpus faces output
  std::string corpus_dir;         // the audio corpus it was made from
  std::string out_dir;
  std::string expert;             // trained sync expert (required when sync_weight > 0)
  std::string init;               // generator weights to start from
  LipSyncConfig model;            // face size and width
  long steps = 6000;
  int batch = 8;                  // samples of 5 frames per step
  double lr = 3e-4;               // peak AdamW learning rate
  long warmup = 200;
  double sync_weight = 0.03;      // public: 0.03 once enabled
  long sync_start = 1000;         // steps of reconstruction only before the sync loss joins
  double gan_weight = 0.0;        // public GAN variant: 0.07; 0 = no discriminator
  double disc_width = 0.25;       // quality discriminator channels relative to the public one
  int max_clips = 0;              // train clips used (0 = all)
  long checkpoint_every = 200;
  long validate_every = 500;
  std::uint64_t seed = 1;
  bool resume = false;
  bool half = false;              // write the final model in float16
  int threads = 2;
  void validate() const;          // throws InvalidArgument naming the flag
};

struct LipSyncTrainReport {
  long steps = 0;
  double final_loss = 0;
  double val_l1 = 0;              // mean |generated - real| over val frames, [0, 1] pixel scale
  double val_sync = 0;            // mean expert sync probability of generated val windows
  double seconds = 0;
};

LipSyncTrainReport train_lipsync(const LipSyncTrainOptions& opts, const std::function<void(long, double)>& progress = {});

}  // namespace dubkit
