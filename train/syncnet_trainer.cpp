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
#include "lipsync/model_files.hpp"
#include "train/face_data.hpp"
#include "train/run_dir.hpp"
#include "train/training_log.hpp"

namespace fs = std::filesystem;

namespace dubkit {
namespace {

struct Pairs {
  torch::Tensor mel, faces, label;  // [B, 1, 80, 16], [B, 15, 48, 96], [B]
};

// Pair b of a batch: in sync when b is even. Off-sync faces come from 2..8 frames away for
// b % 4 == 1, from anywhere at least 2 frames away for b % 4 == 3.
Pairs draw_pairs(const std::vector<FaceClipData>& clips, int batch, int frames, std::mt19937_64& rng) {
  std::vector<torch::Tensor> mels, faces;
  std::vector<float> labels;
  for (int b = 0; b < batch; ++b) {
    const FaceClipData& c = clips[rng() % clips.size()];
    const long t = draw_start(c, rng);
    long f = t;
    if (b % 2 == 1) {
      if (b % 4 == 1) {
        const long shift = 2 + static_cast<long>(rng() % 7);
        f = t + ((rng() & 1) ? shift : -shift);
        if (std::find(c.starts.begin(), c.starts.end(), f) == c.starts.end()) f = draw_start(c, rng, t, 2);
      } else {
        f = draw_start(c, rng, t, 2);
      }
    }
    mels.push_back(mel_windows(c.mel, {c.times[t]})[0]);
    faces.push_back(window_crops(c, f, frames));
    labels.push_back(f == t ? 1.f : 0.f);
  }
  return {torch::stack(mels), expert_faces(torch::stack(faces)), torch::tensor(labels)};
}

torch::Tensor pair_loss(SyncNet& net, const Pairs& p, torch::Tensor* accuracy = nullptr) {
  const auto [a, v] = net->forward(p.mel, p.faces);
  const torch::Tensor prob = sync_probability(a, v).clamp(1e-6, 1 - 1e-6);
  if (accuracy) *accuracy = ((prob > 0.5).to(torch::kFloat32) == p.label).to(torch::kFloat32).mean();
  return torch::binary_cross_entropy(prob, p.label);
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
  need(batch >= 2 && batch % 2 == 0, "--batch must be even and at least 2");
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
  const auto train = load_face_data(o.faces_dir, o.corpus_dir, "train", 96, o.model.frames, o.max_clips);
  if (train.empty()) throw InvalidArgument("train syncnet: " + o.faces_dir + " has no train clip with " +
                                           std::to_string(o.model.frames) + " consecutive tracked frames");
  const auto val = load_face_data(o.faces_dir, o.corpus_dir, "val", 96, o.model.frames, 0);
  // The same val pairs at every validation.
  std::mt19937_64 val_rng(stable_hash("syncnet-val", o.seed));
  const Pairs val_pairs = val.empty() ? Pairs{} : draw_pairs(val, 128, o.model.frames, val_rng);

  TrainingLog log(o.out_dir + "/loss.csv", o.out_dir + "/loss.png", {"val_loss", "val_accuracy"}, step + 1);
  SyncNetTrainReport rep;
  while (step < o.steps) {
    net->train();
    const double lr = warmup_cosine_lr(o.lr, o.warmup, o.steps, step);
    set_lr(opt, lr);
    std::mt19937_64 rng(stable_hash("syncnet-batch", o.seed) ^ (static_cast<std::uint64_t>(step) * 0x9E3779B97F4A7C15ULL));
    const torch::Tensor loss = pair_loss(net, draw_pairs(train, o.batch, o.model.frames, rng));
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
      rep.val_loss = metrics["val_loss"] = pair_loss(net, val_pairs, &acc).item<double>();
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
