#include "train/encoder_trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <utility>

#include <nlohmann/json.hpp>

#include "audio/level.hpp"
#include "audio/mel_preset.hpp"
#include "core/error.hpp"
#include "core/torch_bridge.hpp"
#include "core/weight_file.hpp"
#include "corpus/manifest.hpp"
#include "corpus/perturb.hpp"
#include "train/run_dir.hpp"
#include "train/speaker_eval.hpp"
#include "train/training_log.hpp"
#include "voice/voice_embedding.hpp"

namespace dubkit {

namespace fs = std::filesystem;

namespace {

struct SpeakerData {
  std::string id;
  std::vector<torch::Tensor> mels;  // [frames, 40] each, VAD-trimmed, at least `frames` long
  bool main = false;                // of the main corpus (or one of its pseudo-speakers)
};

// Collects one speaker's speech into window-long pieces: an utterance long enough is a piece
// of its own, shorter ones are joined until they are.
class SpeakerMels {
 public:
  SpeakerMels(const MelAnalyzer& analyzer, int min_frames) : analyzer_(analyzer), min_samples_(min_frames * 160) {}

  void add(Waveform speech) {
    if (speech.samples.size() >= min_samples_) {
      push(std::move(speech));
      return;
    }
    joined_.rate = speech.rate;
    joined_.samples.insert(joined_.samples.end(), speech.samples.begin(), speech.samples.end());
    if (joined_.samples.size() >= min_samples_) push(std::exchange(joined_, Waveform{}));
  }
  std::vector<torch::Tensor> take() { return std::move(mels_); }

 private:
  void push(Waveform w) {
    normalize_rms(w, kEmbeddingLevelDbfs);  // as embed_wave does at inference
    const FeatureMatrix m = analyzer_.compute(w);  // [40, T]
    mels_.push_back(torch::from_blob(const_cast<float*>(m.data.data()), {m.rows, m.cols}, torch::kFloat).t().contiguous());
  }

  const MelAnalyzer& analyzer_;
  std::size_t min_samples_;
  Waveform joined_;
  std::vector<torch::Tensor> mels_;
};

// ge2e-40 mels of the train speakers of every corpus, and the main corpus's pseudo-speakers.
std::vector<SpeakerData> load_train_mels(const EncoderTrainOptions& o, const std::vector<CorpusUtterance>& main) {
  const MelAnalyzer analyzer(mel_preset("ge2e-40"));
  std::vector<std::pair<std::string, std::vector<CorpusUtterance>>> corpora = {{o.corpus_dir, main}};
  for (const std::string& dir : o.more_corpora) corpora.emplace_back(dir, read_manifest(dir));
  std::vector<SpeakerData> out;
  for (std::size_t c = 0; c < corpora.size(); ++c) {
    const auto& [dir, manifest] = corpora[c];
    std::map<std::string, std::vector<const CorpusUtterance*>> by_speaker;
    for (const CorpusUtterance& u : manifest)
      if (u.split == "train") by_speaker[u.speaker].push_back(&u);
    for (const auto& [speaker, utts] : by_speaker) {
      SpeakerMels plain(analyzer, o.frames);
      std::vector<Waveform> speech;
      for (const CorpusUtterance* u : utts) speech.push_back(read_speech_16k(dir + "/" + u->path));
      for (const Waveform& w : speech) plain.add(w);
      out.push_back({(c ? "corpus" + std::to_string(c) + ":" : "") + speaker, plain.take(), c == 0});
      if (c != 0) continue;
      // Pseudo-speakers: each a perturbation of this speaker's speech, from a seeded order.
      for (int k = 1; k <= o.pseudo_speakers; ++k) {
        const VoicePerturbation p = perturbation_for(o.seed, speaker, k);
        std::vector<std::size_t> order(speech.size());
        for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
        std::mt19937_64 rng(stable_hash(speaker + "#" + std::to_string(k), o.seed));
        std::shuffle(order.begin(), order.end(), rng);
        SpeakerMels perturbed(analyzer, o.frames);
        double seconds = 0;
        for (std::size_t i = 0; i < order.size() && seconds < o.pseudo_seconds; ++i) {
          if (speech[order[i]].samples.size() < 1600) continue;  // too little speech left after the VAD
          std::vector<PhoneSpan> no_phones;
          Waveform w = apply_perturbation(speech[order[i]], p, 16000, 0.9, no_phones);
          seconds += w.seconds();
          perturbed.add(std::move(w));
        }
        out.push_back({speaker + "#" + std::to_string(k), perturbed.take(), true});
      }
    }
  }
  std::vector<SpeakerData> usable;
  for (SpeakerData& s : out)
    if (s.mels.size() >= 2) usable.push_back(std::move(s));
  return usable;
}

// The batch of step `step`: [N * M, frames, 40], speaker-major.
torch::Tensor draw_batch(const std::vector<SpeakerData>& speakers, const EncoderTrainOptions& o, long step) {
  std::mt19937_64 rng(stable_hash("batch", o.seed) ^ (static_cast<std::uint64_t>(step) * 0x9E3779B97F4A7C15ULL));
  std::vector<std::size_t> order(speakers.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  if (o.main_share > 0) {
    // The first round(main_share * N) places go to main-corpus speakers, the rest to the others.
    const auto main_places = static_cast<std::size_t>(std::lround(o.main_share * o.speakers));
    std::stable_partition(order.begin(), order.end(), [&](std::size_t i) { return speakers[i].main; });
    const auto mains = static_cast<std::size_t>(std::count_if(speakers.begin(), speakers.end(), [](const SpeakerData& s) { return s.main; }));
    if (mains > main_places) std::rotate(order.begin() + static_cast<long>(main_places), order.begin() + static_cast<long>(mains), order.end());
  }
  std::vector<torch::Tensor> windows;
  for (int n = 0; n < o.speakers; ++n) {
    const SpeakerData& s = speakers[order[static_cast<std::size_t>(n)]];
    std::vector<std::size_t> utts(s.mels.size());
    for (std::size_t i = 0; i < utts.size(); ++i) utts[i] = i;
    std::shuffle(utts.begin(), utts.end(), rng);
    for (int m = 0; m < o.utterances; ++m) {
      const torch::Tensor& mel = s.mels[utts[static_cast<std::size_t>(m) % utts.size()]];
      const long start = static_cast<long>(rng() % static_cast<std::uint64_t>(mel.size(0) - o.frames + 1));
      windows.push_back(mel.narrow(0, start, o.frames));
    }
  }
  return torch::stack(windows);
}

void save_checkpoint(const std::string& out, long step, SpeakerEncoder& model, torch::optim::Adam& adam) {
  const std::string dir = begin_checkpoint(out, step);
  save_speaker_encoder(dir + "/model.safetensors", model, {});
  torch::save(adam, dir + "/optimizer.pt");
  commit_checkpoint(out, step);
}

}  // namespace

void EncoderTrainOptions::validate() const {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw InvalidArgument("train encoder: " + what);
  };
  need(!corpus_dir.empty(), "--corpus is required");
  need(pseudo_speakers >= 0, "--pseudo-speakers must be >= 0");
  need(pseudo_seconds > 0, "--pseudo-seconds must be positive");
  need(main_share >= 0 && main_share <= 1, "--main-share must be in [0, 1]");
  need(!out_dir.empty(), "--out is required");
  need(steps >= 1, "--steps must be at least 1");
  need(speakers >= 2, "--speakers per batch must be at least 2");
  need(utterances >= 2, "--utterances per speaker must be at least 2");
  need(frames >= 20, "--frames must be at least 20");
  need(lr > 0 && lr < 1, "--lr must be in (0, 1)");
  need(warmup >= 1, "--warmup must be at least 1");
  need(clip > 0, "--clip must be positive");
  need(checkpoint_every >= 1 && validate_every >= 1, "checkpoint and validation intervals must be at least 1");
  need(threads >= 1 && threads <= 64, "--threads must be in [1, 64]");
  model.validate();
}

torch::Tensor ge2e_loss(const torch::Tensor& e, const torch::Tensor& w, const torch::Tensor& b) {
  const long n = e.size(0), m = e.size(1);
  const torch::Tensor sum = e.sum(1);                                                   // [N, D]
  const torch::Tensor centroids = torch::nn::functional::normalize(sum / m, torch::nn::functional::NormalizeFuncOptions().dim(1));
  const torch::Tensor excl = torch::nn::functional::normalize((sum.unsqueeze(1) - e) / (m - 1),
                                                              torch::nn::functional::NormalizeFuncOptions().dim(2));
  const torch::Tensor flat = e.reshape({n * m, -1});
  torch::Tensor sim = torch::matmul(flat, centroids.t());                                // [N*M, N]
  const torch::Tensor own = (e * excl).sum(2).reshape({n * m, 1});                       // [N*M, 1]
  const torch::Tensor labels = torch::arange(n, torch::kLong).repeat_interleave(m);
  const torch::Tensor onehot = torch::nn::functional::one_hot(labels, n).to(torch::kFloat);
  sim = sim * (1 - onehot) + own * onehot;
  sim = sim * torch::clamp_min(w, 1e-6) + b;
  return torch::nn::functional::cross_entropy(sim, labels);
}

EncoderTrainReport train_encoder(const EncoderTrainOptions& o, const std::function<void(long, double)>& progress) {
  o.validate();
  const auto t0 = std::chrono::steady_clock::now();
  torch::set_num_threads(o.threads);
  long step = start_step(o.out_dir, o.resume, "train encoder");  // before loading the data
  fs::create_directories(o.out_dir);
  const std::vector<CorpusUtterance> manifest = read_manifest(o.corpus_dir);
  const std::vector<SpeakerData> speakers = load_train_mels(o, manifest);
  if (static_cast<int>(speakers.size()) < o.speakers)
    throw InvalidArgument("train encoder: the corpus has " + std::to_string(speakers.size()) +
                          " train speakers with two usable utterances, fewer than --speakers " + std::to_string(o.speakers));

  torch::manual_seed(o.seed);
  SpeakerEncoder model(o.model);
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(o.lr));
  if (o.resume) {
    const std::string dir = checkpoint_dir(o.out_dir, step);
    load_weights(*model, load_weight_file(dir + "/model.safetensors"), dir + "/model.safetensors");
    torch::load(adam, dir + "/optimizer.pt");
  } else if (!o.init.empty()) {
    load_weights(*model, load_weight_file(o.init), o.init);
  }
  TrainingLog log(o.out_dir + "/loss.csv", o.out_dir + "/loss.png", {"val_eer"}, step + 1);
  // Handles to the module's own tensors (a Tensor copy shares the TensorImpl and its grad).
  torch::Tensor sim_w = model->named_parameters()["similarity_weight"];
  torch::Tensor sim_b = model->named_parameters()["similarity_bias"];
  SpeakerEvalOptions val;
  val.split = "val";
  val.per_speaker = 6;
  val.seed = o.seed;
  double loss_value = 0;
  while (step < o.steps) {
    model->train();
    const double lr = warmup_cosine_lr(o.lr, o.warmup, o.steps, step);
    for (auto& group : adam.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
    const torch::Tensor batch = draw_batch(speakers, o, step);
    const torch::Tensor emb = model->forward(batch).view({o.speakers, o.utterances, -1});
    const torch::Tensor loss = ge2e_loss(emb, sim_w, sim_b);
    adam.zero_grad();
    loss.backward();
    // As in GE2E training: the similarity scale and offset learn 100x slower than the network.
    sim_w.mutable_grad() *= 0.01;
    sim_b.mutable_grad() *= 0.01;
    torch::nn::utils::clip_grad_norm_(model->parameters(), o.clip);
    adam.step();
    ++step;
    loss_value = loss.item<double>();
    std::map<std::string, double> metrics;
    if (step % o.validate_every == 0 || step == o.steps) {
      model->eval();
      metrics["val_eer"] = evaluate_speakers(model, o.corpus_dir, manifest, val).eer.eer;
    }
    log.add(step, loss_value, lr, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), metrics);
    if (step % o.checkpoint_every == 0 || step == o.steps) {
      save_checkpoint(o.out_dir, step, model, adam);
      log.write();
    }
    if (progress) progress(step, loss_value);
  }
  // Calibrate the same/different threshold at the equal-error point of the val speakers.
  model->eval();
  SpeakerEvalOptions calib = val;
  calib.per_speaker = 10;
  const SpeakerEvalResult r = evaluate_speakers(model, o.corpus_dir, manifest, calib);
  char threshold[32], eer[32];
  std::snprintf(threshold, sizeof(threshold), "%.6f", r.eer.threshold);
  std::snprintf(eer, sizeof(eer), "%.6f", r.eer.eer);
  save_speaker_encoder(o.out_dir + "/encoder.safetensors", model,
                       {{"dubkit.threshold", threshold},
                        {"dubkit.val_eer", eer},
                        {"dubkit.steps", std::to_string(step)},
                        {"dubkit.threshold_note", "cosine similarity at the equal-error point of 2 s trials on the corpus's val speakers"}});
  log.write();
  EncoderTrainReport rep;
  rep.steps = step;
  rep.final_loss = loss_value;
  rep.val_eer = r.eer.eer;
  rep.threshold = r.eer.threshold;
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

}  // namespace dubkit
