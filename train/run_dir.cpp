#include "train/run_dir.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace dubkit {

namespace fs = std::filesystem;

namespace {

// "step_" and digits only: temporary (".tmp") and foreign folders are not checkpoints.
bool checkpoint_name(const std::string& name) {
  return name.size() > 5 && name.rfind("step_", 0) == 0 && name.size() < 20 &&
         name.find_first_not_of("0123456789", 5) == std::string::npos;
}

}  // namespace

std::string checkpoint_dir(const std::string& out_dir, long step) {
  char name[32];
  std::snprintf(name, sizeof(name), "step_%07ld", step);
  return out_dir + "/checkpoints/" + name;
}

long latest_checkpoint(const std::string& out_dir) {
  long best = -1;
  const fs::path dir = fs::path(out_dir) / "checkpoints";
  if (!fs::exists(dir)) return best;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (checkpoint_name(name) && fs::exists(e.path() / "state.json")) best = std::max(best, std::stol(name.substr(5)));
  }
  return best;
}

long start_step(const std::string& out_dir, bool resume, const std::string& what) {
  const long latest = latest_checkpoint(out_dir);
  if (resume && latest < 0) throw InvalidArgument(what + ": --resume, but " + out_dir + "/checkpoints holds no checkpoint");
  if (!resume && latest >= 0)
    throw InvalidArgument(what + ": " + out_dir + " already holds checkpoints (the newest at step " + std::to_string(latest) +
                          "); pass --resume to continue that run, or choose another --out");
  return std::max(0L, latest);
}

std::string begin_checkpoint(const std::string& out_dir, long step) {
  const std::string tmp = checkpoint_dir(out_dir, step) + ".tmp";
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  return tmp;
}

void commit_checkpoint(const std::string& out_dir, long step) {
  const std::string final_dir = checkpoint_dir(out_dir, step), tmp = final_dir + ".tmp";
  write_file_atomic(tmp + "/state.json", nlohmann::json{{"step", step}}.dump() + "\n");
  fs::remove_all(final_dir);
  fs::rename(tmp, final_dir);
  std::vector<long> steps;
  for (const auto& e : fs::directory_iterator(fs::path(out_dir) / "checkpoints")) {
    const std::string name = e.path().filename().string();
    if (checkpoint_name(name)) steps.push_back(std::stol(name.substr(5)));
  }
  std::sort(steps.begin(), steps.end());
  for (std::size_t i = 0; i + 3 < steps.size(); ++i) fs::remove_all(checkpoint_dir(out_dir, steps[i]));
}

void check_run_identity(const std::string& out_dir, const std::string& identity_json, bool resume, const std::string& what) {
  const std::string path = out_dir + "/run.json";
  const nlohmann::json now = nlohmann::json::parse(identity_json);
  if (!resume) {
    write_file_atomic(path, now.dump(1) + "\n");
    return;
  }
  std::ifstream f(path);
  const nlohmann::json before = nlohmann::json::parse(f, nullptr, false);
  if (before.is_discarded()) throw FormatError(path + ": missing or not JSON; cannot check the resumed run's options");
  for (const auto& [key, value] : now.items())
    if (!before.contains(key) || before[key] != value)
      throw InvalidArgument(what + " --resume: '" + key + "' was " + (before.contains(key) ? before[key].dump() : "unset") +
                            " in " + path + ", now " + value.dump() + "; resume with the run's own options");
}

void set_lr(torch::optim::Optimizer& opt, double lr) {
  for (auto& group : opt.param_groups()) group.options().set_lr(lr);
}

double warmup_cosine_lr(double peak, long warmup, long total, long step) {
  constexpr double kPi = 3.14159265358979323846;
  if (step < warmup) return peak * double(step + 1) / warmup;
  const double progress = double(step - warmup) / std::max(1L, total - warmup);
  return peak * (0.05 + 0.95 * 0.5 * (1 + std::cos(kPi * std::min(1.0, progress))));
}

}  // namespace dubkit
