#include "train/lipsync_trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "core/error.hpp"
#include "core/safetensors.hpp"
#include "core/torch_bridge.hpp"
#include "core/weight_file.hpp"
#include "corpus/perturb.hpp"
#include "lipsync/inputs.hpp"
#include "lipsync/model_files.hpp"
#include "lipsync/quality_discriminator.hpp"
#include "sync/expert_files.hpp"
#include "train/face_data.hpp"
#include "train/run_dir.hpp"
#include "train/training_log.hpp"

namespace fs = std::filesystem;

namespace dubkit {
namespace {

constexpr int kFrames = 5;  // frames per sample, the expert's window

struct Samples {
  torch::Tensor real;       // [B * 5, 3, S, S]
  torch::Tensor reference;  // [B * 5, 3, S, S]
  torch::Tensor mels;       // [B * 5, 1, 80, 16] one window per frame
  torch::Tensor sync_mel;   // [B, 1, 80, 16] the window of each sample's first frame
};

Samples draw_samples(const std::vector<FaceClipData>& clips, int batch, std::mt19937_64& rng) {
  std::vector<torch::Tensor> real, ref, mels, sync;
  for (int b = 0; b < batch; ++b) {
    const FaceClipData& c = clips[rng() % clips.size()];
    const long t = draw_start(c, rng);
    const long r = draw_start(c, rng, t, kFrames);
    real.push_back(window_crops(c, t, kFrames));
    ref.push_back(window_crops(c, r, kFrames));
    const std::vector<double> times(c.times.begin() + t, c.times.begin() + t + kFrames);
    const torch::Tensor w = mel_windows(c.mel, times);
    mels.push_back(w);
    sync.push_back(w[0]);
  }
  return {torch::cat(real), torch::cat(ref), torch::cat(mels), torch::stack(sync)};
}

// Expert sync probability of each sample's 5 generated frames, [B].
torch::Tensor sync_of(SyncNet& expert, const torch::Tensor& generated, const torch::Tensor& sync_mel) {
  const long s = generated.size(2);
  const auto [a, v] = expert->forward(sync_mel, expert_faces(generated.reshape({-1, kFrames, 3, s, s})));
  return sync_probability(a, v).clamp(1e-6, 1 - 1e-6);
}

// One row per val sample's first frame: real | generated | reference.
void write_val_image(const Samples& s, const torch::Tensor& generated, const std::string& path) {
  std::vector<cv::Mat> rows;
  for (long i = 0; i < std::min<long>(4, s.sync_mel.size(0)); ++i) {
    cv::Mat row;
    cv::hconcat(std::vector<cv::Mat>{tensor_to_crop(s.real[i * kFrames]), tensor_to_crop(generated[i * kFrames]),
                                     tensor_to_crop(s.reference[i * kFrames])},
                row);
    rows.push_back(row);
  }
  cv::Mat grid;
  cv::vconcat(rows, grid);
  cv::imwrite(path, grid);
}

}  // namespace

void LipSyncTrainOptions::validate() const {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw InvalidArgument("train lipsync: " + what);
  };
  need(!faces_dir.empty(), "--faces is required");
  need(!corpus_dir.empty(), "--corpus is required");
  need(!out_dir.empty(), "--out is required");
  need(sync_weight == 0 || !expert.empty(), "--expert is required when --sync-weight is not 0");
  need(steps >= 1, "--steps must be at least 1");
  need(batch >= 1, "--batch must be at least 1");
  need(lr > 0 && lr < 1, "--lr must be in (0, 1)");
  need(warmup >= 1, "--warmup must be at least 1");
  need(sync_weight >= 0 && gan_weight >= 0 && sync_weight + gan_weight < 1, "--sync-weight and --gan-weight must be >= 0 with a sum below 1");
  need(sync_start >= 0, "--sync-start must not be negative");
  need(disc_width > 0 && disc_width <= 1, "--disc-width must be in (0, 1]");
  need(max_clips >= 0, "--max-clips must not be negative");
  need(checkpoint_every >= 1 && validate_every >= 1, "checkpoint and validation intervals must be at least 1");
  need(threads >= 1 && threads <= 64, "--threads must be in [1, 64]");
  model.validate();
}

LipSyncTrainReport train_lipsync(const LipSyncTrainOptions& o, const std::function<void(long, double)>& progress) {
  o.validate();
  const auto t0 = std::chrono::steady_clock::now();
  torch::set_num_threads(o.threads);
  long step = start_step(o.out_dir, o.resume, "train lipsync");
  fs::create_directories(o.out_dir + "/val");
  check_run_identity(o.out_dir,
                     nlohmann::json{{"faces", fs::weakly_canonical(o.faces_dir).string()}, {"expert", o.expert},
                                    {"init", o.init}, {"config", o.model.to_json()}, {"batch", o.batch}, {"lr", o.lr},
                                    {"warmup", o.warmup}, {"sync_weight", o.sync_weight}, {"sync_start", o.sync_start},
                                    {"gan_weight", o.gan_weight}, {"disc_width", o.disc_width}, {"max_clips", o.max_clips},
                                    {"seed", o.seed}}
                         .dump(),
                     o.resume, "train lipsync");
  torch::manual_seed(o.seed);
  Wav2Lip g(o.model);
  QualityDiscriminator disc(o.disc_width);
  SyncNet expert{nullptr};
  if (!o.expert.empty()) {
    expert = load_sync_expert(o.expert);
    if (expert->config().frames != kFrames || expert->config().mel_preset != o.model.mel_preset)
      throw InvalidArgument("train lipsync: --expert " + o.expert + " judges " + std::to_string(expert->config().frames) +
                            " frames of " + expert->config().mel_preset + " mels; the generator needs 5 of " + o.model.mel_preset);
    for (auto& p : expert->parameters()) p.requires_grad_(false);
  }
  if (!o.init.empty() && !o.resume) load_weights(*g, load_weight_file(o.init), o.init);
  torch::optim::AdamW opt_g(g->parameters(), torch::optim::AdamWOptions(o.lr).betas({0.5, 0.999}).weight_decay(0.01));
  torch::optim::AdamW opt_d(disc->parameters(), torch::optim::AdamWOptions(o.lr).betas({0.5, 0.999}).weight_decay(0.01));
  if (o.resume) {
    const std::string dir = checkpoint_dir(o.out_dir, step);
    load_weights(*g, load_weight_file(dir + "/generator.safetensors"), dir + "/generator.safetensors");
    load_weights(*disc, load_weight_file(dir + "/discriminator.safetensors"), dir + "/discriminator.safetensors");
    torch::load(opt_g, dir + "/optimizer_g.pt");
    torch::load(opt_d, dir + "/optimizer_d.pt");
  }
  const int s = o.model.face_size;
  // A clip needs two window starts, so that a sample's reference is never its own frames.
  auto usable = [&](const std::string& split, int max_clips) {
    auto clips = load_face_data(o.faces_dir, o.corpus_dir, split, s, kFrames, max_clips);
    clips.erase(std::remove_if(clips.begin(), clips.end(), [](const FaceClipData& c) { return c.starts.size() < 2; }),
                clips.end());
    return clips;
  };
  const auto train = usable("train", o.max_clips);
  if (train.empty()) throw InvalidArgument("train lipsync: " + o.faces_dir + " has no train clip with two windows of 5 tracked frames");
  const auto val = usable("val", 0);
  std::mt19937_64 val_rng(stable_hash("lipsync-val", o.seed));
  const Samples val_samples = val.empty() ? Samples{} : draw_samples(val, 16, val_rng);

  TrainingLog log(o.out_dir + "/loss.csv", o.out_dir + "/loss.png", {"l1", "sync", "val_l1", "val_sync", "loss_d"}, step + 1);
  LipSyncTrainReport rep;
  while (step < o.steps) {
    g->train();
    const double lr = warmup_cosine_lr(o.lr, o.warmup, o.steps, step);
    set_lr(opt_g, lr);
    set_lr(opt_d, lr);
    std::mt19937_64 rng(stable_hash("lipsync-batch", o.seed) ^ (static_cast<std::uint64_t>(step) * 0x9E3779B97F4A7C15ULL));
    const Samples b = draw_samples(train, o.batch, rng);
    const torch::Tensor fake = g->forward(b.mels, generator_input(b.real, b.reference));
    std::map<std::string, double> metrics;
    const bool gan = o.gan_weight > 0;
    if (gan) {
      disc->train();
      const torch::Tensor p_real = disc->forward(b.real).clamp(1e-6, 1 - 1e-6);
      const torch::Tensor p_fake = disc->forward(fake.detach()).clamp(1e-6, 1 - 1e-6);
      const torch::Tensor loss_d = torch::binary_cross_entropy(p_real, torch::ones_like(p_real)) +
                                   torch::binary_cross_entropy(p_fake, torch::zeros_like(p_fake));
      opt_d.zero_grad();
      loss_d.backward();
      opt_d.step();
      metrics["loss_d"] = loss_d.item<double>();
    }
    const torch::Tensor l1 = (fake - b.real).abs().mean();
    const bool sync_on = o.sync_weight > 0 && step >= o.sync_start;
    double recon_weight = 1.0 - (sync_on ? o.sync_weight : 0.0) - o.gan_weight;
    torch::Tensor loss = recon_weight * l1;
    if (sync_on) {
      const torch::Tensor p = sync_of(expert, fake, b.sync_mel);
      const torch::Tensor sync_loss = torch::binary_cross_entropy(p, torch::ones_like(p));
      loss = loss + o.sync_weight * sync_loss;
      metrics["sync"] = p.mean().item<double>();
    }
    if (gan) {
      const torch::Tensor p = disc->forward(fake).clamp(1e-6, 1 - 1e-6);
      loss = loss + o.gan_weight * torch::binary_cross_entropy(p, torch::ones_like(p));
    }
    opt_g.zero_grad();
    loss.backward();
    opt_g.step();
    ++step;
    rep.final_loss = loss.item<double>();
    metrics["l1"] = l1.item<double>();
    if (!val.empty() && (step % o.validate_every == 0 || step == o.steps)) {
      torch::NoGradGuard no_grad;
      g->eval();
      const torch::Tensor gen = g->forward(val_samples.mels, generator_input(val_samples.real, val_samples.reference));
      rep.val_l1 = metrics["val_l1"] = (gen - val_samples.real).abs().mean().item<double>();
      if (expert) rep.val_sync = metrics["val_sync"] = sync_of(expert, gen, val_samples.sync_mel).mean().item<double>();
      char name[64];
      std::snprintf(name, sizeof(name), "/val/step_%07ld.png", step);
      write_val_image(val_samples, gen, o.out_dir + name);
    }
    log.add(step, rep.final_loss, lr, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), metrics);
    if (step % o.checkpoint_every == 0 || step == o.steps) {
      const std::string dir = begin_checkpoint(o.out_dir, step);
      save_lipsync_generator(dir + "/generator.safetensors", g);
      write_safetensors(dir + "/discriminator.safetensors", module_weights(*disc), {});
      torch::save(opt_g, dir + "/optimizer_g.pt");
      torch::save(opt_d, dir + "/optimizer_d.pt");
      commit_checkpoint(o.out_dir, step);
      log.write();
    }
    if (progress) progress(step, rep.final_loss);
  }
  g->eval();
  save_lipsync_generator(o.out_dir + "/lipsync.safetensors", g,
                         {{"dubkit.steps", std::to_string(step)}, {"dubkit.val_l1", std::to_string(rep.val_l1)},
                          {"dubkit.val_sync", std::to_string(rep.val_sync)}},
                         o.half);
  log.write();
  rep.steps = step;
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

}  // namespace dubkit
