#include "train/syncnet_trainer.hpp"

#include <chrono>
#include <filesystem>
#include <random>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/torch_bridge.hpp"
#include "core/weight_file.hpp"
#include "corpus/perturb.hpp"
#include "lipsync/inputs.hpp"
#include "sync/expert_files.hpp"
#include "train/face_data.hpp"
#include "train/run_dir.hpp"
#include "train/training_log.hpp"

namespace fs = std::filesystem;

namespace dubkit {

const std::vector<int>& sync_shifts() {
  static const std::vector<int> shifts = [] {
    std::vector<int> s{0};
    for (int d = 2; d <= kMaxSyncShift; ++d) s.insert(s.end(), {d, -d});
    return s;
  }();
  return shifts;
}

namespace {

// Each sample: one face window and its audio windows at every candidate shift, the in-sync
// one first.
struct Batch {
  torch::Tensor faces;  // [B, 3 * frames, 48, 96]
  torch::Tensor mels;   // [B * S, 1, 80, 16], S = shifts().size(), sample-major
};

Batch draw_batch(const std::vector<FaceClipData>& clips, int batch, int frames, std::mt19937_64& rng) {
  std::vector<torch::Tensor> faces, mels;
  for (int b = 0; b < batch; ++b) {
    const FaceClipData& c = clips[rng() % clips.size()];
    const long t = draw_start(c, rng);
    std::vector<double> times;
    for (int d : sync_shifts()) times.push_back(c.times[t] + d / c.fps);
    faces.push_back(window_crops(c, t, frames));
    mels.push_back(mel_windows(c.mel, times));
  }
  return {expert_faces(torch::stack(faces)), torch::cat(mels)};
}

// Cross-entropy of picking the in-sync audio among the shifted ones by cosine / temperature.
torch::Tensor batch_loss(SyncNet& net, const Batch& b, double temperature, torch::Tensor* accuracy = nullptr) {
  const long n = b.faces.size(0), s = static_cast<long>(sync_shifts().size());
  const torch::Tensor v = net->embed_faces(b.faces);                          // [B, E]
  const torch::Tensor a = net->embed_audio(b.mels).reshape({n, s, -1});       // [B, S, E]
  const torch::Tensor logits = (a * v.unsqueeze(1)).sum(2) / temperature;     // cosines: both unit length
  const torch::Tensor target = torch::zeros({n}, torch::kLong);
  if (accuracy) *accuracy = (logits.argmax(1) == 0).to(torch::kFloat32).mean();
  return torch::nn::functional::cross_entropy(logits, target);
}

}  // namespace

void SyncNetTrainOptions::validate() const {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw InvalidArgument("train syncnet: " + what);
  };
  need(!faces_dir.empty(), "--faces is required");
  need(!corpus_dir.empty(), "--corpus is required");
  need(!out_dir.empty(), "--out is required");
  need(steps >= 1, "--steps must be at least 1");
  need(batch >= 1, "--batch must be at least 1");
  need(temperature > 0 && temperature <= 1, "--temperature must be in (0, 1]");
  need(lr > 0 && lr < 1, "--lr must be in (0, 1)");
  need(warmup >= 1, "--warmup must be at least 1");
  need(max_clips >= 0, "--max-clips must not be negative");
  need(checkpoint_every >= 1 && validate_every >= 1, "checkpoint and validation intervals must be at least 1");
  need(threads >= 1 && threads <= 64, "--threads must be in [1, 64]");
  model.validate();
}

SyncNetTrainReport train_syncnet(const SyncNetTrainOptions& o, const std::function<void(long, double)>& progress) {
  o.validate();
  const auto t0 = std::chrono::steady_clock::now();
  torch::set_num_threads(o.threads);
  long step = start_step(o.out_dir, o.resume, "train syncnet");
  fs::create_directories(o.out_dir);
  check_run_identity(o.out_dir,
                     nlohmann::json{{"faces", fs::weakly_canonical(o.faces_dir).string()}, {"config", o.model.to_json()},
                                    {"batch", o.batch}, {"lr", o.lr}, {"warmup", o.warmup}, {"max_clips", o.max_clips},
                                    {"temperature", o.temperature},
                                    {"seed", o.seed}}
                         .dump(),
                     o.resume, "train syncnet");
  torch::manual_seed(o.seed);
  SyncNet net(o.model);
  torch::optim::AdamW opt(net->parameters(), torch::optim::AdamWOptions(o.lr).weight_decay(0.01));
  if (o.resume) {
    const std::string dir = checkpoint_dir(o.out_dir, step);
    load_weights(*net, load_weight_file(dir + "/expert.safetensors"), dir + "/expert.safetensors");
    torch::load(opt, dir + "/optimizer.pt");
  }
  // Any crop size: the expert sees every face scaled to 96 (expert_faces).
  const auto train = load_face_data(o.faces_dir, o.corpus_dir, "train", 0, o.model.frames, o.max_clips, kMaxSyncShift);
  if (train.empty()) throw InvalidArgument("train syncnet: " + o.faces_dir + " has no train clip with " +
                                           std::to_string(o.model.frames) + " consecutive tracked frames");
  const auto val = load_face_data(o.faces_dir, o.corpus_dir, "val", train.front().crops.size(2), o.model.frames, 0, kMaxSyncShift);
  // The same val samples at every validation.
  std::mt19937_64 val_rng(stable_hash("syncnet-val", o.seed));
  const Batch val_batch = val.empty() ? Batch{} : draw_batch(val, 64, o.model.frames, val_rng);

  TrainingLog log(o.out_dir + "/loss.csv", o.out_dir + "/loss.png", {"val_loss", "val_accuracy"}, step + 1);
  SyncNetTrainReport rep;
  while (step < o.steps) {
    net->train();
    const double lr = warmup_cosine_lr(o.lr, o.warmup, o.steps, step);
    set_lr(opt, lr);
    std::mt19937_64 rng(stable_hash("syncnet-batch", o.seed) ^ (static_cast<std::uint64_t>(step) * 0x9E3779B97F4A7C15ULL));
    const torch::Tensor loss = batch_loss(net, draw_batch(train, o.batch, o.model.frames, rng), o.temperature);
    opt.zero_grad();
    loss.backward();
    opt.step();
    ++step;
    rep.final_loss = loss.item<double>();
    std::map<std::string, double> metrics;
    if (!val.empty() && (step % o.validate_every == 0 || step == o.steps)) {
      torch::NoGradGuard no_grad;
      net->eval();
      torch::Tensor acc;
      rep.val_loss = metrics["val_loss"] = batch_loss(net, val_batch, o.temperature, &acc).item<double>();
      rep.val_accuracy = metrics["val_accuracy"] = acc.item<double>();
    }
    log.add(step, rep.final_loss, lr, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), metrics);
    if (step % o.checkpoint_every == 0 || step == o.steps) {
      const std::string dir = begin_checkpoint(o.out_dir, step);
      save_sync_expert(dir + "/expert.safetensors", net);
      torch::save(opt, dir + "/optimizer.pt");
      commit_checkpoint(o.out_dir, step);
      log.write();
    }
    if (progress) progress(step, rep.final_loss);
  }
  net->eval();
  save_sync_expert(o.out_dir + "/sync_expert.safetensors", net,
                   {{"dubkit.steps", std::to_string(step)}, {"dubkit.val_accuracy", std::to_string(rep.val_accuracy)}}, o.half);
  log.write();
  rep.steps = step;
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

}  // namespace dubkit
