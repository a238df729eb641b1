#include "train/synth_trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <set>

#include <nlohmann/json.hpp>

#include "audio/io.hpp"
#include "audio/spectrogram_image.hpp"
#include "audio/mel_preset.hpp"
#include "core/error.hpp"
#include "core/torch_bridge.hpp"
#include "core/weight_file.hpp"
#include "corpus/manifest.hpp"
#include "corpus/perturb.hpp"
#include "train/run_dir.hpp"
#include "train/synth_batch.hpp"
#include "train/training_log.hpp"
#include "vocoder/griffin_lim.hpp"
#include "voice/voice_embedding.hpp"

namespace dubkit {

namespace fs = std::filesystem;

namespace {


struct Dataset {
  SymbolTable symbols{std::vector<std::string>{"_"}};
  std::vector<std::string> languages;
  std::vector<SynthItem> train, val;  // train sorted by mel length (length-bucketed batches)
};

std::vector<std::string> phone_names(const CorpusUtterance& u) {
  std::vector<std::string> names;
  for (const PhoneSpan& p : u.phones) names.push_back(p.phone);
  return names;
}

// The utterances the dataset is made of: the main corpus's (train and val) and the train
// utterances of `more_corpora`, each with the folder it lives in.
std::vector<std::pair<std::string, CorpusUtterance>> utterances_of(const SynthTrainOptions& o) {
  std::vector<std::pair<std::string, CorpusUtterance>> out;
  for (CorpusUtterance& u : read_manifest(o.corpus_dir)) out.emplace_back(o.corpus_dir, std::move(u));
  for (const std::string& dir : o.more_corpora)
    for (CorpusUtterance& u : read_manifest(dir))
      if (u.split == "train") out.emplace_back(dir, std::move(u));
  return out;
}

Dataset load_dataset(const SynthTrainOptions& o, SpeakerEncoder& encoder) {
  const std::vector<std::pair<std::string, CorpusUtterance>> utterances = utterances_of(o);
  Dataset d;
  // The symbol inventory of every split (the inventory only: val/test phones must be encodable).
  std::vector<std::vector<std::string>> all;
  std::set<std::string> langs;
  for (const auto& [dir, u] : utterances) {
    if (u.phones.empty()) continue;  // a real recording without a transcript or an alignment
    all.push_back(phone_names(u));
    langs.insert(u.lang);
  }
  d.symbols = SymbolTable::from_utterances(all);
  d.languages.assign(langs.begin(), langs.end());
  const MelAnalyzer& mel = shared_mel_analyzer(o.model.mel_preset);
  const int rate = mel.preset().sample_rate;
  const double fps = mel.preset().frames_per_second();
  for (const auto& [dir, u] : utterances) {
    if ((u.split != "train" && u.split != "val") || u.phones.empty() || u.duration > o.max_seconds) continue;
    const std::string path = dir + "/" + u.path;
    const Waveform w16 = read_mono(path);  // the encoder's rate
    const Waveform w = rate == 16000 ? w16 : read_mono(corpus_audio_path(dir, u, rate));
    if (w.rate != rate)
      throw FormatError(path + ": corpus audio at " + std::to_string(w.rate) + " Hz, preset " + mel.preset().name +
                        " needs " + std::to_string(rate));
    SynthItem item;
    try {
      item.speaker = embed_wave(encoder, w16, path).embedding;
    } catch (const InvalidArgument&) {
      continue;  // too little speech to condition on
    }
    const FeatureMatrix m = mel.compute(w);
    item.mel = torch::from_blob(const_cast<float*>(m.data.data()), {m.rows, m.cols}, torch::kFloat).t().contiguous();
    item.bands = recorded_bands(mel, u.source_rate);
    const std::vector<float> frames = phone_frames(u.phones, m.cols, fps);
    item.durations = torch::tensor(frames);
    item.phones = torch::tensor(d.symbols.encode(phone_names(u)));
    item.language = std::distance(d.languages.begin(), std::find(d.languages.begin(), d.languages.end(), u.lang));
    item.id = u.id;
    (u.split == "train" ? d.train : d.val).push_back(std::move(item));
  }
  std::stable_sort(d.train.begin(), d.train.end(),
                   [](const SynthItem& a, const SynthItem& b) { return a.mel.size(0) < b.mel.size(0); });
  return d;
}

// The batch of step `step`: `batch` utterances drawn from a window of similar lengths.
std::vector<const SynthItem*> draw_batch(const std::vector<SynthItem>& train, const SynthTrainOptions& o, long step) {
  std::mt19937_64 rng(stable_hash("synth-batch", o.seed) ^ (static_cast<std::uint64_t>(step) * 0x9E3779B97F4A7C15ULL));
  const std::size_t window = std::min(train.size(), static_cast<std::size_t>(o.batch) * 4);
  const std::size_t start = rng() % (train.size() - window + 1);
  std::vector<std::size_t> idx(window);
  for (std::size_t i = 0; i < window; ++i) idx[i] = start + i;
  std::shuffle(idx.begin(), idx.end(), rng);
  std::vector<const SynthItem*> out;
  for (int i = 0; i < o.batch; ++i) out.push_back(&train[idx[static_cast<std::size_t>(i)]]);
  return out;
}

FeatureMatrix to_features(const torch::Tensor& rows_by_cols) {
  const torch::Tensor t = rows_by_cols.contiguous().to(torch::kFloat);
  FeatureMatrix m(static_cast<int>(t.size(0)), static_cast<int>(t.size(1)));
  std::copy(t.data_ptr<float>(), t.data_ptr<float>() + t.numel(), m.data.begin());
  return m;
}

struct ValResult {
  double mel_l1 = 0, free_mel_l1 = 0, duration_error = 0;
};

ValResult validate_model(Synthesizer& model, const Dataset& d, const SynthTrainOptions& o, long step) {
  torch::NoGradGuard no_grad;
  model->eval();
  torch::manual_seed(o.seed);  // the prenet's dropout
  const SynthesizerConfig& c = model->config();
  ValResult r;
  const std::size_t n = std::min<std::size_t>(d.val.size(), 32);
  if (n == 0) return r;
  std::vector<const SynthItem*> items;
  for (std::size_t i = 0; i < n; ++i) items.push_back(&d.val[i]);
  const SynthesizerBatch b = collate_synth_batch(items, c.n_mels);
  const SynthesizerOutput out = model->forward(b);
  const long t = b.mels.size(1);
  const torch::Tensor mask = frame_mask(b.mel_lengths, t) * b.bands.unsqueeze(1);
  r.mel_l1 = (((out.mel.narrow(1, 0, t) - b.mels).abs() * mask).sum() / mask.sum()).item<double>();
  const torch::Tensor pmask = length_mask(b.phone_lengths, b.phones.size(1)).to(torch::kFloat);
  r.duration_error =
      (((torch::expm1(out.log_durations).clamp_min(0) - b.durations).abs() * pmask).sum() / pmask.sum()).item<double>();

  // Free-running (autoregressive) generation of a few utterances with their true durations.
  const std::size_t free_n = std::min<std::size_t>(n, 4);
  double l1_sum = 0;
  for (std::size_t i = 0; i < free_n; ++i) {
    const SynthItem& it = d.val[i];
    const torch::Tensor phones = it.phones.unsqueeze(0), len = torch::tensor({it.phones.size(0)}, torch::kLong);
    const torch::Tensor features = model->encode(phones, len, it.speaker.unsqueeze(0), torch::tensor({it.language}, torch::kLong));
    const torch::Tensor mask1 = torch::ones({1, it.phones.size(0)}, torch::kBool);
    const long frames = it.mel.size(0), steps = (frames + c.reduction - 1) / c.reduction;
    const torch::Tensor up = model->upsample(features, it.durations.unsqueeze(0), mask1, steps).first.squeeze(0);
    const torch::Tensor mel = model->generate(up, o.seed + i).second.narrow(0, 0, frames);
    l1_sum += (mel - it.mel).abs().mean().item<double>();
    if (i == 0) {
      // The same utterance with predicted durations: what `say` would produce.
      const torch::Tensor dur = torch::expm1(model->predict_log_durations(features, mask1)).clamp_min(0);
      const long free_steps = std::max<long>(1, std::lround(std::ceil(dur.sum().item<double>() / c.reduction)));
      auto [up2, w] = model->upsample(features, dur, mask1, free_steps);
      const torch::Tensor mel2 = model->generate(up2.squeeze(0), o.seed).second;
      char name[64];
      std::snprintf(name, sizeof(name), "/val/step_%07ld_", step);
      const std::string prefix = o.out_dir + name;
      const MelAnalyzer& analyzer = shared_mel_analyzer(c.mel_preset);
      const double fps = analyzer.preset().frames_per_second();
      write_spectrogram_png(prefix + "mel_truth.png", to_features(it.mel.t()), fps, it.id + " ground truth");
      write_spectrogram_png(prefix + "mel.png", to_features(mel2.t()), fps, it.id + " generated, step " + std::to_string(step));
      write_spectrogram_png(prefix + "alignment.png", to_features(w.squeeze(0).t()), fps / c.reduction,
                            it.id + " upsampling weights (phones x decoder steps)");
      GriffinLimConfig gl;
      gl.iterations = 32;
      write_audio(prefix + "griffinlim.wav", griffin_lim_from_features(to_features(mel2.t()), analyzer, gl));
    }
  }
  r.free_mel_l1 = l1_sum / free_n;
  return r;
}

void save_checkpoint(const std::string& out, long step, Synthesizer& model, torch::optim::Adam& adam,
                     const Dataset& d) {
  const std::string dir = begin_checkpoint(out, step);
  save_synthesizer(dir + "/model.safetensors", model, d.symbols, d.languages, {});
  torch::save(adam, dir + "/optimizer.pt");
  commit_checkpoint(out, step);
}

}  // namespace

std::vector<float> phone_frames(const std::vector<PhoneSpan>& phones, long mel_frames, double fps) {
  std::vector<float> out;
  long previous = 0;
  for (std::size_t i = 0; i < phones.size(); ++i) {
    const long boundary = i + 1 == phones.size() ? mel_frames
                                                 : std::clamp<long>(std::lround(phones[i].end * fps), previous, mel_frames);
    out.push_back(static_cast<float>(boundary - previous));
    previous = boundary;
  }
  return out;
}

void SynthTrainOptions::validate() const {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw InvalidArgument("train synth: " + what);
  };
  need(!corpus_dir.empty(), "--corpus is required");
  need(!encoder_path.empty(), "--encoder is required");
  need(!out_dir.empty(), "--out is required");
  need(steps >= 1, "--steps must be at least 1");
  need(batch >= 1, "--batch must be at least 1");
  need(lr > 0 && lr < 1, "--lr must be in (0, 1)");
  need(warmup >= 1, "--warmup must be at least 1");
  need(clip > 0, "--clip must be positive");
  need(duration_weight >= 0, "--duration-weight must not be negative");
  need(max_seconds > 0, "--max-seconds must be positive");
  need(checkpoint_every >= 1 && validate_every >= 1, "checkpoint and validation intervals must be at least 1");
  need(threads >= 1 && threads <= 64, "--threads must be in [1, 64]");
}

SynthTrainReport train_synthesizer(const SynthTrainOptions& o, const std::function<void(long, double)>& progress) {
  o.validate();
  const auto t0 = std::chrono::steady_clock::now();
  torch::set_num_threads(o.threads);
  long step = start_step(o.out_dir, o.resume, "train synth");  // before the slow data preparation
  fs::create_directories(o.out_dir + "/val");
  LoadedEncoder encoder = load_speaker_encoder(o.encoder_path);
  const Dataset data = load_dataset(o, encoder.model);
  if (static_cast<int>(data.train.size()) < o.batch)
    throw InvalidArgument("train synth: the corpus has " + std::to_string(data.train.size()) +
                          " usable train utterances, fewer than --batch " + std::to_string(o.batch));

  SynthesizerConfig config = o.model;
  config.n_symbols = static_cast<int>(data.symbols.size());
  config.n_languages = static_cast<int>(data.languages.size());
  config.speaker_dim = static_cast<int>(data.train.front().speaker.size(0));
  torch::manual_seed(o.seed);
  Synthesizer model(config);
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(o.lr).eps(1e-6).weight_decay(1e-6));
  if (o.resume) {
    const std::string file = checkpoint_dir(o.out_dir, step) + "/model.safetensors";
    const auto meta = load_weight_metadata(file);
    const auto symbols = meta.find("dubkit.symbols"), languages = meta.find("dubkit.languages");
    if (symbols == meta.end() || symbols->second != data.symbols.to_json() || languages == meta.end() ||
        languages->second != nlohmann::json(data.languages).dump())
      throw FormatError(file + ": its symbol table or languages differ from the corpus's; it belongs to another corpus");
    load_weights(*model, load_weight_file(file), file);
    torch::load(adam, checkpoint_dir(o.out_dir, step) + "/optimizer.pt");
  }
  TrainingLog log(o.out_dir + "/loss.csv", o.out_dir + "/loss.png", {"val_mel_l1", "val_free_mel_l1", "val_duration_error"},
                  step + 1);
  double loss_value = 0;
  ValResult last_val;
  while (step < o.steps) {
    model->train();
    const double lr = warmup_cosine_lr(o.lr, o.warmup, o.steps, step);
    for (auto& group : adam.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
    torch::manual_seed(stable_hash("synth-dropout", o.seed) ^ static_cast<std::uint64_t>(step));
    const SynthesizerBatch batch = collate_synth_batch(draw_batch(data.train, o, step), config.n_mels);
    const SynthesizerOutput out = model->forward(batch);
    const torch::Tensor loss = synthesizer_loss(out, batch, o.duration_weight);
    adam.zero_grad();
    loss.backward();
    torch::nn::utils::clip_grad_norm_(model->parameters(), o.clip);
    adam.step();
    ++step;
    loss_value = loss.item<double>();
    std::map<std::string, double> metrics;
    if (step % o.validate_every == 0 || step == o.steps) {
      last_val = validate_model(model, data, o, step);
      metrics = {{"val_mel_l1", last_val.mel_l1},
                 {"val_free_mel_l1", last_val.free_mel_l1},
                 {"val_duration_error", last_val.duration_error}};
    }
    log.add(step, loss_value, lr, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), metrics);
    if (step % o.checkpoint_every == 0 || step == o.steps) {
      save_checkpoint(o.out_dir, step, model, adam, data);
      log.write();
    }
    if (progress) progress(step, loss_value);
  }
  model->eval();
  save_synthesizer(o.out_dir + "/synthesizer.safetensors", model, data.symbols, data.languages,
                   {{"dubkit.steps", std::to_string(step)},
                    {"dubkit.encoder", fs::path(o.encoder_path).filename().string()},
                    {"dubkit.val_mel_l1", std::to_string(last_val.mel_l1)}},
                   o.half);
  log.write();
  SynthTrainReport rep;
  rep.steps = step;
  rep.final_loss = loss_value;
  rep.val_mel_l1 = last_val.mel_l1;
  rep.val_free_mel_l1 = last_val.free_mel_l1;
  rep.val_duration_error = last_val.duration_error;
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

}  // namespace dubkit
