#include "train/voice_adaptation.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <cmath>
#include <map>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "align/aligner.hpp"
#include "audio/io.hpp"
#include "audio/mel_preset.hpp"
#include "audio/resample.hpp"
#include "core/error.hpp"
#include "corpus/perturb.hpp"
#include "provenance/crypto.hpp"
#include "synth/front_end.hpp"
#include "synth/speaker_adapter.hpp"
#include "synth/synthesizer.hpp"
#include "train/run_dir.hpp"
#include "train/synth_batch.hpp"
#include "train/synth_trainer.hpp"

namespace dubkit {

namespace fs = std::filesystem;

namespace {


std::string fixed(double x, int digits) {
  std::ostringstream s;
  s.precision(digits);
  s << std::fixed << x;
  return s.str();
}

// The clips' recordings, each read (and resampled) once: the cues of a subtitle file all cut
// the same (possibly hour-long) recording.
class Recordings {
 public:
  // Clip `c` at `rate` (16 kHz for the aligner, the synthesizer's preset rate for its targets).
  Waveform clip(const AdaptationClip& c, int rate) {
    if (c.audio != path_) {
      native_ = read_mono(c.audio);
      resampled_.clear();
      path_ = c.audio;
    }
    Waveform& whole = resampled_[rate];
    if (whole.samples.empty()) whole = native_.rate == rate ? native_ : resample(native_, rate);
    const long n = static_cast<long>(whole.samples.size());
    const long a = std::clamp<long>(std::lround(c.start * rate), 0, n);
    const long b = c.end < 0 ? n : std::clamp<long>(std::lround(c.end * rate), a, n);
    return Waveform{rate, std::vector<float>(whole.samples.begin() + a, whole.samples.begin() + b)};
  }
  int native_rate() const { return native_.rate; }  // of the last clip's recording

 private:
  std::string path_;
  Waveform native_;
  std::map<int, Waveform> resampled_;
};

struct Prepared {
  std::vector<SynthItem> items;
  std::vector<AdaptationClipReport> clips;
  double seconds = 0;
};

Prepared prepare(const VoiceAdaptOptions& o, const LoadedSynthesizer& s, long language) {
  const Aligner aligner(o.aligner);
  const MelAnalyzer& analyzer = shared_mel_analyzer(s.model->config().mel_preset);
  const double fps = analyzer.preset().frames_per_second();
  Prepared p;
  Recordings recordings;
  for (const AdaptationClip& c : o.clips) {
    const Waveform w = recordings.clip(c, 16000);
    const double seconds = w.seconds();
    if (seconds > o.max_clip_seconds)
      throw InvalidArgument(c.name + ": " + fixed(seconds, 1) + " s in one piece; adaptation takes clips of at most " +
                            fixed(o.max_clip_seconds, 0) + " s (cut the recording, or give its subtitles with --text)");
    if (seconds < 0.3) throw InvalidArgument(c.name + ": " + fixed(seconds, 2) + " s, too short to align");
    const SentencePhones sp = sentence_phones(c.text, o.lang);
    SynthItem item;
    try {
      item.phones = torch::tensor(s.symbols.encode(sp.phones));
    } catch (const InvalidArgument& e) {
      throw InvalidArgument(c.name + ": " + e.what());
    }
    const ScoredAlignment a = aligner.align_scored(aligner.log_posteriors(w), seconds, sp.phones);
    const int rate = analyzer.preset().sample_rate;
    const FeatureMatrix m = analyzer.compute(rate == 16000 ? w : recordings.clip(c, rate));
    item.mel = torch::from_blob(const_cast<float*>(m.data.data()), {m.rows, m.cols}, torch::kFloat).t().contiguous();
    item.bands = recorded_bands(analyzer, recordings.native_rate());
    item.durations = torch::tensor(phone_frames(a.phones, m.cols, fps));
    item.speaker = torch::tensor(o.embedding);
    item.language = language;
    item.id = c.name;
    p.items.push_back(std::move(item));
    p.clips.push_back({c.name, seconds, a.cost, static_cast<int>(sp.phones.size()), ""});
    p.seconds += seconds;
  }
  // Clips whose alignment costs far more than this run's median clip are left out by name; when
  // that is most of them, the transcripts are not these recordings' at all.
  std::vector<double> costs;
  for (const AdaptationClipReport& c : p.clips) costs.push_back(c.alignment_cost);
  std::nth_element(costs.begin(), costs.begin() + costs.size() / 2, costs.end());
  const double median = costs[costs.size() / 2];
  const double limit = std::min(o.max_alignment_cost, std::max(o.min_alignment_limit, o.max_alignment_ratio * median));
  std::vector<SynthItem> kept;
  std::string refused;
  std::size_t n_refused = 0;
  for (std::size_t i = 0; i < p.clips.size(); ++i) {
    AdaptationClipReport& c = p.clips[i];
    if (c.alignment_cost <= limit) {
      kept.push_back(std::move(p.items[i]));
      continue;
    }
    c.refused = "alignment cost " + fixed(c.alignment_cost, 2) + " above " + fixed(limit, 2) + ": the transcript is of other words";
    refused += (refused.empty() ? "" : "; ") + c.name + " cost " + fixed(c.alignment_cost, 2);
    p.seconds -= c.seconds;
    ++n_refused;
  }
  p.items = std::move(kept);
  if (2 * n_refused > p.clips.size())
    throw InvalidArgument("transcripts that do not match their audio: " + std::to_string(n_refused) + " of " +
                          std::to_string(p.clips.size()) + " clips cost more than " + fixed(limit, 2) +
                          " nats per frame to align (" + fixed(o.max_alignment_ratio, 1) + "x the median " + fixed(median, 2) +
                          ", within " + fixed(o.min_alignment_limit, 1) + "-" + fixed(o.max_alignment_cost, 1) +
                          "): " + refused);
  if (p.seconds < o.min_seconds)
    throw InvalidArgument("adaptation needs at least " + fixed(o.min_seconds, 0) + " s of recordings; these give " +
                          fixed(p.seconds, 1) + " s" + (n_refused ? " besides the clips refused (" + refused + ")" : ""));
  return p;
}

// Every item's batch conditioned on the adapter's embedding (its gradient reaches it).
SynthesizerBatch batch_of(const std::vector<const SynthItem*>& items, Synthesizer& model) {
  SynthesizerBatch b = collate_synth_batch(items, model->config().n_mels);
  b.speakers = model->adapter()->speaker().unsqueeze(0).expand({static_cast<long>(items.size()), -1});
  return b;
}

// The training loss over all items, in batches, with fixed dropout masks.
double mean_loss(Synthesizer& model, const std::vector<SynthItem>& items, int batch, std::uint64_t seed) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(seed);
  double sum = 0;
  for (std::size_t i = 0; i < items.size(); i += static_cast<std::size_t>(batch)) {
    std::vector<const SynthItem*> part;
    for (std::size_t j = i; j < std::min(items.size(), i + batch); ++j) part.push_back(&items[j]);
    const SynthesizerBatch b = batch_of(part, model);
    sum += synthesizer_loss(model->forward(b), b, 1.0).item<double>() * part.size();
  }
  return sum / items.size();
}

std::vector<const SynthItem*> draw(const std::vector<SynthItem>& items, int batch, std::uint64_t seed, long step) {
  std::mt19937_64 rng(stable_hash("adapt-batch", seed) ^ (static_cast<std::uint64_t>(step) * 0x9E3779B97F4A7C15ULL));
  std::vector<std::size_t> idx(items.size());
  for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::shuffle(idx.begin(), idx.end(), rng);
  std::vector<const SynthItem*> out;
  for (int i = 0; i < batch; ++i) out.push_back(&items[idx[static_cast<std::size_t>(i) % idx.size()]]);
  return out;
}

// What the run learns from, for its run.json: the recordings (their bytes, times and
// transcripts) and the embedding by hash, so a refused resume names short values.
std::string identity(const VoiceAdaptOptions& o) {
  nlohmann::ordered_json clips = nlohmann::ordered_json::array();
  std::map<std::string, std::string> hashes;  // each recording hashed once, however many cues cut it
  for (const AdaptationClip& c : o.clips) {
    auto [it, fresh] = hashes.try_emplace(c.audio);
    if (fresh) it->second = sha256_file_hex(c.audio);
    clips.push_back({{"sha256", it->second}, {"start", c.start}, {"end", c.end}, {"text", c.text}});
  }
  return nlohmann::ordered_json{{"synthesizer_sha256", sha256_file_hex(o.synthesizer)},
                                {"clips_sha256", sha256_hex(clips.dump())},
                                {"embedding_sha256", sha256_hex(nlohmann::json(o.embedding).dump())},
                                {"lang", o.lang},
                                {"batch", o.batch},
                                {"lr", o.lr},
                                {"frozen", o.frozen},
                                {"seed", o.seed}}
      .dump();
}

}  // namespace

void VoiceAdaptOptions::validate() const {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw InvalidArgument("voice adapt: " + what);
  };
  need(!synthesizer.empty() && !aligner.empty(), "a synthesizer and an aligner are required");
  need(!embedding.empty(), "the profile has no embedding");
  need(!clips.empty(), "no recordings");
  need(!work_dir.empty(), "a work folder is required");
  need(steps >= 1, "--steps must be at least 1");
  need(batch >= 1 && batch <= 256, "--batch must be in [1, 256]");
  need(lr > 0 && lr < 1, "--lr must be in (0, 1)");
  need(max_wall_seconds > 0, "--max-minutes must be positive");
  need(checkpoint_every >= 1, "the checkpoint interval must be at least 1");
  need(min_seconds >= 0 && max_clip_seconds > 0, "clip length limits must be positive");
  need(min_alignment_limit > 0 && max_alignment_cost >= min_alignment_limit && max_alignment_ratio >= 1,
       "alignment cost limits must be positive and ordered (the ratio at least 1)");
  need(threads >= 1 && threads <= 64, "--threads must be in [1, 64]");
  for (const std::string& f : frozen)
    need(f == "embedding" || f == "decoder_scale" || f == "decoder_shift" || f == "mel_scale" || f == "mel_shift" ||
             f == "duration_shift",
         "--freeze names '" + f + "', not an adapter tensor (synth/speaker_adapter.hpp)");
  need(frozen.size() < 6, "--freeze names every adapter tensor: nothing would learn");
}

VoiceAdaptResult adapt_voice(const VoiceAdaptOptions& o, const std::function<void(long, long, double)>& progress) {
  o.validate();
  const auto t0 = std::chrono::steady_clock::now();
  auto wall = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  torch::set_num_threads(o.threads);
  LoadedSynthesizer s = load_synthesizer(o.synthesizer);
  const auto lang = std::find(s.languages.begin(), s.languages.end(), o.lang);
  if (lang == s.languages.end())
    throw InvalidArgument("voice adapt: the synthesizer " + o.synthesizer + " does not speak '" + o.lang + "'");
  if (static_cast<int>(o.embedding.size()) != s.model->config().speaker_dim)
    throw InvalidArgument("voice adapt: the profile's embedding has " + std::to_string(o.embedding.size()) +
                          " values, the synthesizer takes " + std::to_string(s.model->config().speaker_dim));
  const Prepared data = prepare(o, s, std::distance(s.languages.begin(), lang));  // refusals leave no work folder
  fs::create_directories(o.work_dir);
  check_run_identity(o.work_dir, identity(o), o.resume, "voice adapt");
  long step = start_step(o.work_dir, o.resume, "voice adapt");

  for (auto& p : s.model->parameters()) p.requires_grad_(false);
  s.model->eval();  // BatchNorm keeps its statistics; the prenet's dropout stays on, as in training
  SpeakerAdapter adapter(o.embedding, s.model->config().decoder_lstm, s.model->config().n_mels);
  s.model->set_adapter(adapter);
  const std::uint64_t eval_seed = stable_hash("adapt-eval", o.seed);
  VoiceAdaptResult result;
  VoiceAdaptReport& r = result.report;
  r.clips = data.clips;
  r.seconds = data.seconds;
  r.parameters = adapter->parameter_count();
  r.loss_before = mean_loss(s.model, data.items, o.batch, eval_seed);

  // The embedding's values are ~0.06 (unit length over 256), the maps' ~1: it gets a tenth of the
  // learning rate, or a few hundred steps would carry it far from every voice the base knows.
  std::vector<torch::Tensor> embedding, maps;
  for (const auto& p : adapter->named_parameters()) {
    if (std::find(o.frozen.begin(), o.frozen.end(), p.key()) != o.frozen.end()) {
      p.value().requires_grad_(false);
      continue;
    }
    (p.key() == "embedding" ? embedding : maps).push_back(p.value());
  }
  std::vector<torch::optim::OptimizerParamGroup> groups;
  std::vector<double> lr_scales;
  if (!embedding.empty()) groups.emplace_back(embedding), lr_scales.push_back(0.1);
  if (!maps.empty()) groups.emplace_back(maps), lr_scales.push_back(1.0);
  torch::optim::Adam adam(groups, torch::optim::AdamOptions(o.lr));
  if (o.resume) {
    torch::load(adapter, checkpoint_dir(o.work_dir, step) + "/adapter.pt");
    torch::load(adam, checkpoint_dir(o.work_dir, step) + "/optimizer.pt");
  }
  auto save = [&] {
    const std::string dir = begin_checkpoint(o.work_dir, step);
    torch::save(adapter, dir + "/adapter.pt");
    torch::save(adam, dir + "/optimizer.pt");
    commit_checkpoint(o.work_dir, step);
  };
  while (step < o.steps) {
    if (wall() > o.max_wall_seconds) {
      r.stopped_early = true;
      break;
    }
    const double lr = warmup_cosine_lr(o.lr, std::min<long>(20, o.steps), o.steps, step);
    for (std::size_t g = 0; g < lr_scales.size(); ++g)
      static_cast<torch::optim::AdamOptions&>(adam.param_groups()[g].options()).lr(lr * lr_scales[g]);
    torch::manual_seed(stable_hash("adapt-dropout", o.seed) ^ static_cast<std::uint64_t>(step));
    const SynthesizerBatch b = batch_of(draw(data.items, o.batch, o.seed, step), s.model);
    const torch::Tensor loss = synthesizer_loss(s.model->forward(b), b, 1.0);
    adam.zero_grad();
    loss.backward();
    torch::nn::utils::clip_grad_norm_(adapter->parameters(), 1.0);
    adam.step();
    ++step;
    if (step % o.checkpoint_every == 0) save();
    if (progress) progress(step, o.steps, loss.item<double>());
  }
  if (step % o.checkpoint_every != 0) save();
  r.steps = step;
  r.loss_after = mean_loss(s.model, data.items, o.batch, eval_seed);
  result.adapter = adapter->values();
  r.wall_seconds = wall();
  return result;
}

}  // namespace dubkit
