// What every dubkit trainer shares: the layout of a run directory's checkpoints and the
// learning-rate schedule.
//   OUT/checkpoints/step_NNNNNNN/  model.safetensors, optimizer.pt, state.json
// A checkpoint is written into step_NNNNNNN.tmp and renamed when complete, so an interrupted
// write never looks like a checkpoint; the three newest are kept.
#pragma once

#include <string>

namespace dubkit {

std::string checkpoint_dir(const std::string& out_dir, long step);

// The newest complete checkpoint's step, or -1 when there is none.
long latest_checkpoint(const std::string& out_dir);

// The step a run starts from: the newest checkpoint's with `resume`, else 0. Throws
// InvalidArgument (naming `what`, the trainer) when resuming without a checkpoint, or when a
// fresh run would mix its checkpoints with an earlier run's.
long start_step(const std::string& out_dir, bool resume, const std::string& what);

// Creates an empty OUT/checkpoints/step_NNNNNNN.tmp and returns its path.
std::string begin_checkpoint(const std::string& out_dir, long step);
// Writes state.json ({"step": step}) into the temporary directory, renames it to its final
// name and removes all but the three newest checkpoints.
void commit_checkpoint(const std::string& out_dir, long step);

// Linear warm-up over `warmup` steps to `peak`, then cosine decay to peak / 20 at `total`.
double warmup_cosine_lr(double peak, long warmup, long total, long step);

}  // namespace dubkit
