// What every dubkit trainer shares: the layout of a run directory's checkpoints and the
// learning-rate schedule.
//   OUT/checkpoints/step_NNNNNNN/  model.safetensors, optimizer.pt, state.json
// A checkpoint is written into step_NNNNNNN.tmp and renamed when complete, so an interrupted
// write never looks like a checkpoint; the three newest are kept.
#pragma once

#include <torch/optim/optimizer.h>

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

// OUT/run.json holds the options that make a run what it is (`identity_json`, an object). A
// fresh run writes it; a resumed run must match it key for key, else InvalidArgument naming
// `what`, the key and both values (--steps is never part of it: it only moves where the
// schedule ends). FormatError when a resumed run's run.json is missing or not JSON.
void check_run_identity(const std::string& out_dir, const std::string& identity_json, bool resume, const std::string& what);

// Sets every parameter group's learning rate.
void set_lr(torch::optim::Optimizer& opt, double lr);

// Linear warm-up over `warmup` steps to `peak`, then cosine decay to peak / 20 at `total`.
double warmup_cosine_lr(double peak, long warmup, long total, long step);

}  // namespace dubkit
