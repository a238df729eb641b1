// `dubkit train syncnet`: trains the colour SyncNet expert (sync/syncnet.hpp) on the
// talking-face corpus. Each sample is 5 consecutive frames and the mel windows starting at
// their first frame shifted by every offset in sync_shifts() (0, then +-2 .. +-8 frames, all
// from the same clip); the loss is the cross-entropy of picking the unshifted window by the
// embeddings' cosine divided by `temperature`.
//
// Where it departs from the public recipe (color_syncnet_train.py: one pair per sample, in sync
// or drawn from anywhere in the clip, binary cross-entropy of the cosine): the public loss sits
// at ln 2 for thousands of steps before the expert starts to learn, which 2 CPU cores cannot
// afford, while ranking a window against its own shifts learns from the first steps and trains
// exactly the judgement the expert is used for (the offset of `sync score`, the 1-frame
// precision the sync loss needs). The generator's sync loss still reads the cosine as a
// probability, as the public one does. Also: AdamW with warm-up and cosine decay; a width
// multiplier.
//
// The pairs of step s depend only on (seed, s), so a resumed run continues exactly.
// OUT/run.json, OUT/checkpoints/step_NNNNNNN/ (expert.safetensors, optimizer.pt), OUT/loss.csv +
// loss.png (val loss and accuracy), final model OUT/sync_expert.safetensors.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sync/syncnet.hpp"

namespace dubkit {

inline constexpr int kMaxSyncShift = 8;  // frames
// The audio shifts each training sample is ranked against, in frames: 0 (in sync) first, then
// +-2 .. +-kMaxSyncShift (+-1 is left out: a 40 ms shift is within the mouth's own lag).
const std::vector<int>& sync_shifts();

struct SyncNetTrainOptions {
  std::string faces_dir;          // corpus faces output
  std::string corpus_dir;         // the audio corpus it was made from
  std::string out_dir;
  SyncNetConfig model;            // width etc.
  long steps = 4000;
  int batch = 16;                 // face windows per step (each with sync_shifts().size() audio windows)
  double temperature = 0.1;       // cosine scale of the ranking loss
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
  double val_accuracy = 0;        // fraction of val samples whose best window is the unshifted one
  double seconds = 0;
};

SyncNetTrainReport train_syncnet(const SyncNetTrainOptions& opts, const std::function<void(long, double)>& progress = {});

}  // namespace dubkit
