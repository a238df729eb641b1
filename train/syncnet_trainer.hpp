// `dubkit train syncnet`: trains the colour SyncNet expert (lipsync/syncnet.hpp) on the
// talking-face corpus, as the public color_syncnet_train.py does: half of each batch pairs 5
// frames with the mel window that starts at their first frame (in sync, label 1), half pairs
// the mel with 5 frames from elsewhere in the same clip (label 0); the loss is the binary cross
// entropy of the embeddings' cosine.
//
// Where it departs from the public recipe: half of the off-sync pairs are only 2..8 frames away
// (the public code draws them anywhere), because the expert's job here includes telling a
// 2-frame offset from none; AdamW with warm-up and cosine decay; a width multiplier.
//
// The pairs of step s depend only on (seed, s), so a resumed run continues exactly.
// OUT/run.json, OUT/checkpoints/step_NNNNNNN/ (expert.safetensors, optimizer.pt), OUT/loss.csv +
// loss.png (val loss and accuracy), final model OUT/sync_expert.safetensors.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "lipsync/syncnet.hpp"

namespace dubkit {

struct SyncNetTrainOptions {
  std::string faces_dir;          // corpus faces output
  std::string corpus_dir;         // the audio corpus it was made from
  std::string out_dir;
  SyncNetConfig model;            // width etc.
  long steps = 4000;
  int batch = 32;                 // pairs per step, half in sync
  double lr = 3e-4;               // peak AdamW learning rate
  long warmup = 200;
  int max_clips = 0;              // train clips used (0 = all)
  long checkpoint_every = 200;
  long validate_every = 200;
  std::uint64_t seed = 1;
  bool resume = false;
  bool half = false;              // write the final model in float16
  int threads = 2;
  void validate() const;          // throws InvalidArgument naming the flag
};

struct SyncNetTrainReport {
  long steps = 0;
  double final_loss = 0;
  double val_loss = 0;
  double val_accuracy = 0;        // fraction of val pairs on the right side of cosine 0.5
  double seconds = 0;
};

SyncNetTrainReport train_syncnet(const SyncNetTrainOptions& opts, const std::function<void(long, double)>& progress = {});

}  // namespace dubkit
