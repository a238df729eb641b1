#include "train/aligner_trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>

#include <nlohmann/json.hpp>

#include "align/aligner.hpp"
#include "align/boundary_eval.hpp"
#include "align/phone_classes.hpp"
#include "audio/io.hpp"
#include "core/error.hpp"
#include "core/torch_bridge.hpp"
#include "core/weight_file.hpp"
#include "corpus/manifest.hpp"
#include "corpus/perturb.hpp"
#include "train/run_dir.hpp"
#include "train/training_log.hpp"

namespace dubkit {

namespace fs = std::filesystem;

namespace {

constexpr long kIgnore = -100;  // label of padding frames: no loss

struct Item {
  torch::Tensor features;  // [T, n_mels]
  torch::Tensor labels;    // [T] int64 class ids
  std::vector<PhoneSpan> phones;
  double seconds = 0;
};

struct Data {
  std::vector<Item> train, val;
  std::vector<std::vector<std::size_t>> groups;  // train item indices per (language, engine)
  std::vector<std::string> group_names;
};

std::vector<const CorpusUtterance*> spread(const std::vector<const CorpusUtterance*>& all, int limit) {
  if (limit <= 0 || static_cast<std::size_t>(limit) >= all.size()) return all;
  std::vector<const CorpusUtterance*> out;
  for (int i = 0; i < limit; ++i) out.push_back(all[i * all.size() / static_cast<std::size_t>(limit)]);
  return out;
}

// The noise floor of a real recording: white noise 45-65 dB below the peak, on half the
// utterances, from the utterance's own hash (the same whatever the loading order).
void add_noise_floor(Waveform& w, const std::string& id, std::uint64_t seed) {
  std::mt19937_64 rng(stable_hash("aligner-noise/" + id, seed));
  if (rng() % 2 == 0) return;
  float peak = 0;
  for (float s : w.samples) peak = std::max(peak, std::abs(s));
  const double db = 45.0 + 20.0 * std::uniform_real_distribution<double>(0, 1)(rng);
  std::normal_distribution<float> noise(0.0f, static_cast<float>(peak * std::pow(10.0, -db / 20.0)));
  for (float& s : w.samples) s += noise(rng);
}

Item make_item(const std::string& corpus, const CorpusUtterance& u, bool noise, std::uint64_t seed) {
  const std::string path = corpus + "/" + u.path;
  Waveform w = read_mono(path);
  if (w.rate != kAlignerSampleRate)
    throw FormatError(path + ": corpus audio at " + std::to_string(w.rate) + " Hz, the aligner trains on 16000 Hz");
  if (noise) add_noise_floor(w, u.id, seed);
  Item it;
  it.features = aligner_features(w);
  const std::vector<int> labels = frame_class_labels(u.phones, static_cast<int>(it.features.size(0)));
  it.labels = torch::tensor(std::vector<std::int64_t>(labels.begin(), labels.end()), torch::kLong);
  it.phones = u.phones;
  it.seconds = double(w.samples.size()) / w.rate;
  return it;
}

Data load_data(const AlignerTrainOptions& o, const std::vector<CorpusUtterance>& manifest) {
  std::vector<const CorpusUtterance*> train, val;
  for (const CorpusUtterance& u : manifest) {
    if (u.phones.empty() || u.duration < 0.05) continue;
    if (u.split == "train") train.push_back(&u);
    if (u.split == "val") val.push_back(&u);
  }
  Data d;
  std::map<std::string, std::size_t> group_of;
  for (const CorpusUtterance* u : spread(train, o.max_utterances)) {
    const std::string group = u->lang + "/" + (u->base_voice.rfind("flite", 0) == 0 ? "flite" : "espeak-ng");
    auto [it, fresh] = group_of.emplace(group, d.groups.size());
    if (fresh) {
      d.groups.emplace_back();
      d.group_names.push_back(group);
    }
    d.groups[it->second].push_back(d.train.size());
    d.train.push_back(make_item(o.corpus_dir, *u, o.augment, o.seed));
  }
  for (const CorpusUtterance* u : spread(val, o.val_utterances)) d.val.push_back(make_item(o.corpus_dir, *u, false, o.seed));
  return d;
}

// ln of each class's share of the train frames (add-one smoothed, so unseen classes stay finite).
torch::Tensor class_log_prior(const std::vector<Item>& train) {
  torch::Tensor counts = torch::ones({phone_class_count()}, torch::kDouble);
  for (const Item& it : train) counts += torch::bincount(it.labels, {}, phone_class_count()).to(torch::kDouble);
  return torch::log(counts / counts.sum()).to(torch::kFloat);
}

struct Batch {
  torch::Tensor features;  // [B, F, n_mels]
  torch::Tensor labels;    // [B, F], kIgnore on padding
};

// The batch of step `step`, augmentation included: a function of (seed, step) only.
Batch draw_batch(const Data& d, const AlignerTrainOptions& o, long step) {
  std::mt19937_64 rng(stable_hash("aligner-batch", o.seed) ^ (static_cast<std::uint64_t>(step) * 0x9E3779B97F4A7C15ULL));
  const long n_mels = d.train.front().features.size(1), f = o.frames;
  Batch b{torch::zeros({o.batch, f, n_mels}), torch::full({o.batch, f}, kIgnore, torch::kLong)};
  for (int i = 0; i < o.batch; ++i) {
    std::size_t index;
    if (o.balance) {
      const auto& group = d.groups[rng() % d.groups.size()];
      index = group[rng() % group.size()];
    } else {
      index = rng() % d.train.size();
    }
    const Item& it = d.train[index];
    const long t = it.features.size(0), len = std::min(t, f);
    const long start = t > f ? static_cast<long>(rng() % static_cast<std::uint64_t>(t - f + 1)) : 0;
    b.features[i].narrow(0, 0, len).copy_(it.features.narrow(0, start, len));
    b.labels[i].narrow(0, 0, len).copy_(it.labels.narrow(0, start, len));
    if (o.augment) {
      // 0 is the utterance mean after normalisation: a masked band or run carries no information.
      const long bw = static_cast<long>(rng() % 7), b0 = static_cast<long>(rng() % static_cast<std::uint64_t>(n_mels - bw + 1));
      b.features[i].narrow(1, b0, bw).zero_();
      const long tw = std::min<long>(len, static_cast<long>(rng() % 9));
      const long t0 = static_cast<long>(rng() % static_cast<std::uint64_t>(len - tw + 1));
      b.features[i].narrow(0, t0, tw).zero_();
    }
  }
  return b;
}

FrameScores posteriors(AlignerNet& model, const torch::Tensor& features) {
  torch::NoGradGuard no_grad;
  const torch::Tensor lp = model->forward(features.unsqueeze(0)).squeeze(0).contiguous();
  FrameScores s(static_cast<int>(lp.size(0)), static_cast<int>(lp.size(1)));
  std::copy(lp.data_ptr<float>(), lp.data_ptr<float>() + lp.numel(), s.data.begin());
  return s;
}

std::vector<std::string> phone_names(const std::vector<PhoneSpan>& spans) {
  std::vector<std::string> out;
  for (const PhoneSpan& p : spans) out.push_back(p.phone);
  return out;
}

struct ValResult {
  double frame_accuracy = 0;
  std::map<double, BoundarySummary> by_scale;  // prior scale -> val boundary figures
};

ValResult validate_model(AlignerNet& model, const Data& d, const std::vector<double>& scales) {
  ValResult r;
  if (d.val.empty()) return r;
  model->eval();
  const Aligner aligner(model, kDefaultPriorScale);
  long correct = 0, total = 0;
  std::map<double, BoundaryErrors> errors;
  for (const Item& it : d.val) {
    const FrameScores lp = posteriors(model, it.features);
    const auto labels = it.labels.accessor<std::int64_t, 1>();
    for (int t = 0; t < lp.frames; ++t) {
      const float* row = lp.data.data() + static_cast<std::size_t>(t) * lp.classes;
      correct += std::max_element(row, row + lp.classes) - row == labels[t];
    }
    total += lp.frames;
    for (double scale : scales) {
      AlignOptions ao;
      ao.prior_scale = scale;
      try {
        errors[scale].add(boundary_errors(it.phones, aligner.align_posteriors(lp, it.seconds, phone_names(it.phones), ao)));
      } catch (const InvalidArgument&) {
        // too short for its phones at 10 ms: not scored
      }
    }
  }
  r.frame_accuracy = total ? double(correct) / double(total) : 0;
  for (const auto& [scale, e] : errors) r.by_scale[scale] = summarize(e);
  return r;
}

void save_checkpoint(const std::string& out, long step, AlignerNet& model, torch::optim::Adam& adam) {
  const std::string dir = begin_checkpoint(out, step);
  save_aligner_model(dir + "/model.safetensors", model, {});
  torch::save(adam, dir + "/optimizer.pt");
  commit_checkpoint(out, step);
}

std::string run_identity(const AlignerTrainOptions& o, const AlignerNet& model) {
  return nlohmann::json{{"corpus", fs::weakly_canonical(o.corpus_dir).string()},
                        {"config", model->config().to_json()},
                        {"batch", o.batch},
                        {"frames", o.frames},
                        {"lr", o.lr},
                        {"warmup", o.warmup},
                        {"clip", o.clip},
                        {"balance", o.balance},
                        {"augment", o.augment},
                        {"max_utterances", o.max_utterances},
                        {"val_utterances", o.val_utterances},
                        {"seed", o.seed}}
      .dump();
}

std::string fixed(double v) {
  char s[32];
  std::snprintf(s, sizeof(s), "%.4f", v);
  return s;
}

}  // namespace

void AlignerTrainOptions::validate() const {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw InvalidArgument("train aligner: " + what);
  };
  need(!corpus_dir.empty(), "--corpus is required");
  need(!out_dir.empty(), "--out is required");
  need(steps >= 1, "--steps must be at least 1");
  need(batch >= 1 && batch <= 4096, "--batch must be in [1, 4096]");
  need(frames >= 8 && frames <= 100000, "--frames must be in [8, 100000]");
  need(lr > 0 && lr < 1, "--lr must be in (0, 1)");
  need(warmup >= 1, "--warmup must be at least 1");
  need(clip > 0, "--clip must be positive");
  need(max_utterances >= 0, "--max-utterances must not be negative");
  need(val_utterances >= 0, "--val-utterances must not be negative");
  need(checkpoint_every >= 1 && validate_every >= 1, "checkpoint and validation intervals must be at least 1");
  need(threads >= 1 && threads <= 64, "--threads must be in [1, 64]");
  model.validate();
}

AlignerTrainReport train_aligner(const AlignerTrainOptions& o, const std::function<void(long, double)>& progress) {
  o.validate();
  const auto t0 = std::chrono::steady_clock::now();
  torch::set_num_threads(o.threads);
  long step = start_step(o.out_dir, o.resume, "train aligner");  // before loading the data
  fs::create_directories(o.out_dir);
  torch::manual_seed(o.seed);
  AlignerNet model(o.model);
  check_run_identity(o.out_dir, run_identity(o, model), o.resume, "train aligner");
  const Data data = load_data(o, read_manifest(o.corpus_dir));
  if (data.train.empty()) throw InvalidArgument("train aligner: " + o.corpus_dir + " has no train utterances with phones");
  model->set_log_prior(class_log_prior(data.train));

  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(o.lr));
  if (o.resume) {
    const std::string dir = checkpoint_dir(o.out_dir, step);
    load_weights(*model, load_weight_file(dir + "/model.safetensors"), dir + "/model.safetensors");
    torch::load(adam, dir + "/optimizer.pt");
  }
  TrainingLog log(o.out_dir + "/loss.csv", o.out_dir + "/loss.png", {"val_frame_accuracy", "val_mean_abs_ms", "val_within_20ms"},
                  step + 1);
  double loss_value = 0;
  while (step < o.steps) {
    model->train();
    const double lr = warmup_cosine_lr(o.lr, o.warmup, o.steps, step);
    set_lr(adam, lr);
    torch::manual_seed(stable_hash("aligner-dropout", o.seed) ^ static_cast<std::uint64_t>(step));
    const Batch b = draw_batch(data, o, step);
    const torch::Tensor lp = model->forward(b.features);  // [B, F, C]
    const torch::Tensor loss = torch::nn::functional::nll_loss(
        lp.reshape({-1, lp.size(2)}), b.labels.reshape({-1}), torch::nn::functional::NLLLossFuncOptions().ignore_index(kIgnore));
    adam.zero_grad();
    loss.backward();
    torch::nn::utils::clip_grad_norm_(model->parameters(), o.clip);
    adam.step();
    ++step;
    loss_value = loss.item<double>();
    std::map<std::string, double> metrics;
    if ((step % o.validate_every == 0 || step == o.steps) && !data.val.empty()) {
      const ValResult v = validate_model(model, data, {kDefaultPriorScale});
      const BoundarySummary& s = v.by_scale.at(kDefaultPriorScale);
      metrics = {{"val_frame_accuracy", v.frame_accuracy}, {"val_mean_abs_ms", s.mean_abs_ms}, {"val_within_20ms", s.within_tolerance}};
    }
    log.add(step, loss_value, lr, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), metrics);
    if (step % o.checkpoint_every == 0 || step == o.steps) {
      save_checkpoint(o.out_dir, step, model, adam);
      log.write();
    }
    if (progress) progress(step, loss_value);
  }

  // The prior scale with the most val boundaries within 20 ms (ties: the smaller mean error).
  AlignerTrainReport rep;
  rep.prior_scale = kDefaultPriorScale;
  const ValResult v = validate_model(model, data, {0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0});
  BoundarySummary best;
  bool have = false;
  for (const auto& [scale, s] : v.by_scale) {
    if (s.scored == 0) continue;
    if (!have || s.within_tolerance > best.within_tolerance ||
        (s.within_tolerance == best.within_tolerance && s.mean_abs_ms < best.mean_abs_ms)) {
      best = s;
      rep.prior_scale = scale;
      have = true;
    }
  }
  model->eval();
  save_aligner_model(o.out_dir + "/aligner.safetensors", model,
                     {{"dubkit.prior_scale", fixed(rep.prior_scale)},
                      {"dubkit.prior_scale_note", "calibrated on the corpus's val speakers: most boundaries within 20 ms"},
                      {"dubkit.val_mean_abs_ms", fixed(best.mean_abs_ms)},
                      {"dubkit.val_within_20ms", fixed(best.within_tolerance)},
                      {"dubkit.val_frame_accuracy", fixed(v.frame_accuracy)},
                      {"dubkit.steps", std::to_string(step)}});
  log.write();
  rep.steps = step;
  rep.final_loss = loss_value;
  rep.val_frame_accuracy = v.frame_accuracy;
  rep.val_mean_abs_ms = best.mean_abs_ms;
  rep.val_within_20ms = best.within_tolerance;
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

}  // namespace dubkit
