#include "train/vocoder_trainer.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "audio/filterbank.hpp"
#include "audio/io.hpp"
#include "audio/mel_preset.hpp"
#include "audio/spectrogram_image.hpp"
#include "core/error.hpp"
#include "core/safetensors.hpp"
#include "core/torch_bridge.hpp"
#include "core/weight_file.hpp"
#include "core/atomic_file.hpp"
#include "corpus/manifest.hpp"
#include "corpus/perturb.hpp"
#include "synth/synthesizer.hpp"
#include "train/run_dir.hpp"
#include "train/synth_trainer.hpp"
#include "train/training_log.hpp"
#include "train/vocoder_discriminators.hpp"
#include "vocoder/hifigan.hpp"
#include "vocoder/vocoder.hpp"
#include "voice/speaker_encoder.hpp"
#include "voice/voice_embedding.hpp"

namespace dubkit {

namespace fs = std::filesystem;

namespace {

// The generator being trained, whichever architecture.
struct Generator {
  std::shared_ptr<torch::nn::Module> module;
  std::function<torch::Tensor(const torch::Tensor&)> forward;  // mel [B, n_mels, F] -> audio [B, F * hop]
  std::string architecture, config_json, preset;
  int hop = 0;
};

Generator make_generator(const VocoderTrainOptions& o) {
  Generator g;
  g.architecture = o.architecture;
  if (o.architecture == "convnext-istft") {
    // The inverse STFT mirrors the preset's analysis: its window, hop and rate.
    ConvNextVocoderConfig c = o.model;
    const MelPreset& p = mel_preset(c.mel_preset);
    c.n_mels = p.n_features();
    c.n_fft = p.stft.win_length;
    c.hop = p.stft.hop;
    c.sample_rate = p.sample_rate;
    ConvNextVocoder m(c);
    g.module = m.ptr();
    g.forward = [m](const torch::Tensor& mel) mutable { return m->forward(mel); };
    g.config_json = c.to_json();
    g.preset = c.mel_preset;
    g.hop = c.hop;
  } else {
    const HifiGanConfig c = HifiGanConfig::from_file(o.hifigan_config);
    HifiGanGenerator m(c);
    g.module = m.ptr();
    g.forward = [m](const torch::Tensor& mel) mutable { return m->forward(mel).squeeze(1); };
    g.config_json = c.to_json();
    g.preset = c.mel_preset;
    g.hop = static_cast<int>(c.hop());
  }
  return g;
}

// The public recipe's discriminator pair, named as in its checkpoint ("mpd.*", "msd.*").
struct DiscriminatorsImpl : torch::nn::Module {
  explicit DiscriminatorsImpl(double width)
      : mpd(register_module("mpd", MultiPeriodDiscriminator(width))), msd(register_module("msd", MultiScaleDiscriminator(width))) {}
  MultiPeriodDiscriminator mpd;
  MultiScaleDiscriminator msd;
};
TORCH_MODULE(Discriminators);

// Log-magnitude spectra and log-mel of waveforms [B, N], differentiable.
class SpectralLosses {
 public:
  explicit SpectralLosses(int sample_rate) {
    MelFilterbankSpec spec;
    spec.sample_rate = sample_rate;
    spec.n_fft = 1024;
    spec.n_mels = 80;
    spec.fmin = 0;
    spec.fmax = sample_rate / 2.0;
    const FeatureMatrix fb = mel_filterbank(spec);
    filters_ = torch::from_blob(const_cast<float*>(fb.data.data()), {fb.rows, fb.cols}, torch::kFloat).clone();
    for (int n : {512, 1024, 2048}) windows_.push_back(torch::hann_window(n));
  }

  torch::Tensor log_mel(const torch::Tensor& audio) const {
    return torch::log(torch::matmul(filters_, magnitude(audio, 1)).clamp_min(1e-5));
  }
  torch::Tensor mel_l1(const torch::Tensor& fake, const torch::Tensor& real) const {
    return (log_mel(fake) - log_mel(real)).abs().mean();
  }
  // Spectral convergence + log-magnitude L1, averaged over the three resolutions.
  torch::Tensor multi_resolution(const torch::Tensor& fake, const torch::Tensor& real) const {
    torch::Tensor loss = torch::zeros({});
    for (std::size_t i = 0; i < windows_.size(); ++i) {
      const torch::Tensor f = magnitude(fake, i), r = magnitude(real, i);
      loss = loss + (r - f).norm() / r.norm().clamp_min(1e-7) + (torch::log(r) - torch::log(f)).abs().mean();
    }
    return loss / static_cast<double>(windows_.size());
  }

 private:
  // |STFT| [B, bins, frames] at resolution i (n_fft 512 << i, hop n_fft / 4).
  torch::Tensor magnitude(const torch::Tensor& audio, std::size_t i) const {
    const long n = windows_[i].size(0);
    const torch::Tensor s = torch::stft(audio, n, n / 4, n, windows_[i], true, "reflect", false, true, true);
    // The epsilon keeps the gradient of sqrt finite at exact zeros (digital silence).
    return torch::sqrt(torch::real(s).pow(2) + torch::imag(s).pow(2) + 1e-9);
  }
  torch::Tensor filters_;
  std::vector<torch::Tensor> windows_;
};

struct Clip {
  std::string id;
  torch::Tensor audio;  // [N]
  torch::Tensor mel;    // [n_mels, T]
};

torch::Tensor feature_tensor(const FeatureMatrix& m) {
  return torch::from_blob(const_cast<float*>(m.data.data()), {m.rows, m.cols}, torch::kFloat).clone();
}

// Teacher-forced synthesizer mels for `u` (ground-truth durations), [n_mels, T] like `mel`.
class SynthMels {
 public:
  SynthMels(const std::string& synth_path, const std::string& encoder_path)
      : synth_(load_synthesizer(synth_path)), encoder_(load_speaker_encoder(encoder_path)) {}

  torch::Tensor operator()(const CorpusUtterance& u, const Waveform& w, const torch::Tensor& mel, double fps) {
    torch::NoGradGuard no_grad;
    std::vector<std::string> names;
    for (const PhoneSpan& p : u.phones) names.push_back(p.phone);
    const auto lang = std::find(synth_.languages.begin(), synth_.languages.end(), u.lang);
    if (lang == synth_.languages.end()) throw InvalidArgument(u.id + ": the synthesizer does not speak '" + u.lang + "'");
    const long t = mel.size(1);
    SynthesizerBatch b;
    b.phones = torch::tensor(synth_.symbols.encode(names)).unsqueeze(0);
    b.phone_lengths = torch::tensor({b.phones.size(1)}, torch::kLong);
    b.speakers = embed_wave(encoder_.model, w, u.id).embedding.unsqueeze(0);
    b.languages = torch::tensor({static_cast<long>(lang - synth_.languages.begin())}, torch::kLong);
    b.durations = torch::tensor(phone_frames(u.phones, t, fps)).unsqueeze(0);
    b.mels = mel.t().unsqueeze(0);
    b.mel_lengths = torch::tensor({t}, torch::kLong);
    torch::manual_seed(stable_hash(u.id));  // the prenet's dropout, which stays on
    return synth_.model->forward(b).mel.narrow(1, 0, t).squeeze(0).t().contiguous();
  }

 private:
  LoadedSynthesizer synth_;
  LoadedEncoder encoder_;
};

struct Data {
  std::vector<Clip> train, val;
};

// The options that make a run what it is (OUT/run.json).
std::string run_identity(const VocoderTrainOptions& o, const Generator& g) {
  std::vector<std::string> more;
  for (const std::string& c : o.more_corpora) more.push_back(fs::weakly_canonical(c).string());
  return nlohmann::json{{"corpus", fs::weakly_canonical(o.corpus_dir).string()}, {"more_corpora", more},
                        {"architecture", g.architecture},
                        {"config", g.config_json}, {"init", o.init}, {"finetune_synth", o.finetune_synth}, {"batch", o.batch},
                        {"segment", o.segment}, {"lr", o.lr}, {"warmup", o.warmup}, {"gan_start", o.gan_start},
                        {"disc_width", o.disc_width}, {"mel_weight", o.mel_weight}, {"stft_weight", o.stft_weight},
                        {"fm_weight", o.fm_weight}, {"clip", o.clip}, {"max_utterances", o.max_utterances}, {"seed", o.seed}}
      .dump();
}

Data load_data(const VocoderTrainOptions& o, const MelAnalyzer& analyzer) {
  std::unique_ptr<SynthMels> synth;
  if (!o.finetune_synth.empty()) synth = std::make_unique<SynthMels>(o.finetune_synth, o.encoder_path);
  const double fps = double(analyzer.preset().sample_rate) / analyzer.preset().stft.hop;
  Data d;
  std::vector<std::pair<std::string, CorpusUtterance>> utterances;
  for (CorpusUtterance& u : read_manifest(o.corpus_dir)) utterances.emplace_back(o.corpus_dir, std::move(u));
  for (const std::string& dir : o.more_corpora)
    for (CorpusUtterance& u : read_manifest(dir))
      if (u.split == "train") utterances.emplace_back(dir, std::move(u));
  for (const auto& [dir, u] : utterances) {
    const bool train = u.split == "train";
    if (!train && u.split != "val") continue;
    if (train && o.max_utterances > 0 && static_cast<int>(d.train.size()) >= o.max_utterances) continue;
    if (!train && d.val.size() >= 4) continue;
    const std::string path = corpus_audio_path(dir, u, analyzer.preset().sample_rate);
    const Waveform w = read_mono(path);
    if (w.rate != analyzer.preset().sample_rate)
      throw FormatError(path + ": corpus audio at " + std::to_string(w.rate) + " Hz, the vocoder's preset " +
                        analyzer.preset().name + " needs " + std::to_string(analyzer.preset().sample_rate));
    if (train && static_cast<long>(w.samples.size()) < o.segment + analyzer.preset().stft.hop) continue;
    Clip c;
    c.id = u.id;
    c.audio = torch::tensor(w.samples);
    c.mel = feature_tensor(analyzer.compute(w));
    if (synth) c.mel = (*synth)(u, w, c.mel, fps);
    (train ? d.train : d.val).push_back(std::move(c));
  }
  return d;
}

// Step `step`'s excerpts: {mel [B, n_mels, F], audio [B, segment]}.
std::pair<torch::Tensor, torch::Tensor> draw_batch(const std::vector<Clip>& train, const VocoderTrainOptions& o, int hop,
                                                   long step) {
  std::mt19937_64 rng(stable_hash("vocoder-batch", o.seed) ^ (static_cast<std::uint64_t>(step) * 0x9E3779B97F4A7C15ULL));
  const long frames = o.segment / hop;
  std::vector<torch::Tensor> mels, audio;
  for (int i = 0; i < o.batch; ++i) {
    const Clip& c = train[rng() % train.size()];
    const long last = std::min(c.mel.size(1) - frames, (c.audio.size(0) - o.segment) / hop);
    const long f0 = static_cast<long>(rng() % static_cast<std::uint64_t>(last + 1));
    mels.push_back(c.mel.narrow(1, f0, frames));
    audio.push_back(c.audio.narrow(0, f0 * hop, o.segment));
  }
  return {torch::stack(mels), torch::stack(audio)};
}

// Log-mel L1 of whole val utterances; writes the first one's audio and mel picture.
double validate_model(Generator& g, const Data& d, const SpectralLosses& losses, const MelAnalyzer& analyzer,
                      const std::string& out_dir, long step) {
  if (d.val.empty()) return 0;
  torch::NoGradGuard no_grad;
  g.module->eval();
  double sum = 0;
  for (std::size_t i = 0; i < d.val.size(); ++i) {
    const Clip& c = d.val[i];
    const torch::Tensor audio = g.forward(c.mel.unsqueeze(0));
    const long n = std::min(audio.size(1), c.audio.size(0));
    sum += losses.mel_l1(audio.narrow(1, 0, n), c.audio.narrow(0, 0, n).unsqueeze(0)).item<double>();
    if (i == 0) {
      char name[64];
      std::snprintf(name, sizeof(name), "/val/step_%07ld", step);
      Waveform w{analyzer.preset().sample_rate, {}};
      const torch::Tensor a = audio.reshape({-1}).contiguous();
      w.samples.assign(a.data_ptr<float>(), a.data_ptr<float>() + a.numel());
      write_audio(out_dir + name + ".wav", w);
      const double fps = double(analyzer.preset().sample_rate) / analyzer.preset().stft.hop;
      write_spectrogram_png(out_dir + name + ".png", analyzer.compute(w), fps, c.id + " vocoded, step " + std::to_string(step));
    }
  }
  return sum / static_cast<double>(d.val.size());
}

void save_checkpoint(const VocoderTrainOptions& o, long step, Generator& g, Discriminators& disc,
                     torch::optim::AdamW& opt_g, torch::optim::AdamW& opt_d) {
  const std::string dir = begin_checkpoint(o.out_dir, step);
  save_vocoder(dir + "/generator.safetensors", *g.module, g.architecture, g.config_json);
  write_safetensors(dir + "/discriminators.safetensors", module_weights(*disc), {});
  torch::save(opt_g, dir + "/optimizer_g.pt");
  torch::save(opt_d, dir + "/optimizer_d.pt");
  commit_checkpoint(o.out_dir, step);
}

}  // namespace

void VocoderTrainOptions::validate() const {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw InvalidArgument("train vocoder: " + what);
  };
  need(!corpus_dir.empty(), "--corpus is required");
  need(!out_dir.empty(), "--out is required");
  need(architecture == "convnext-istft" || architecture == "hifigan", "--arch must be convnext-istft or hifigan");
  need(architecture != "hifigan" || !hifigan_config.empty(), "--arch hifigan needs --config (a HiFi-GAN config.json)");
  need(finetune_synth.empty() || !encoder_path.empty(), "--finetune-synth needs --encoder");
  need(steps >= 1, "--steps must be at least 1");
  need(batch >= 1, "--batch must be at least 1");
  // The 2048-point loss STFT reflects 1024 samples at each end, which needs more than that.
  need(segment > 1024 && segment <= 65536, "--segment must be in [1025, 65536] samples");
  need(lr > 0 && lr < 1, "--lr must be in (0, 1)");
  need(warmup >= 1, "--warmup must be at least 1");
  need(gan_start >= 0, "--gan-start must not be negative");
  need(disc_width >= 1.0 / 16 && disc_width <= 1, "--disc-width must be in [1/16, 1]");
  need(mel_weight >= 0 && stft_weight >= 0 && fm_weight >= 0, "loss weights must not be negative");
  need(clip > 0, "--clip must be positive");
  need(max_utterances >= 0, "--max-utterances must not be negative");
  need(checkpoint_every >= 1 && validate_every >= 1, "checkpoint and validation intervals must be at least 1");
  need(threads >= 1 && threads <= 64, "--threads must be in [1, 64]");
  if (architecture == "convnext-istft") model.validate();
}

VocoderTrainReport train_vocoder(const VocoderTrainOptions& o, const std::function<void(long, double)>& progress) {
  o.validate();
  const auto t0 = std::chrono::steady_clock::now();
  torch::set_num_threads(o.threads);
  long step = start_step(o.out_dir, o.resume, "train vocoder");
  fs::create_directories(o.out_dir + "/val");
  torch::manual_seed(o.seed);
  Generator g = make_generator(o);
  if (o.segment % g.hop != 0)
    throw InvalidArgument("train vocoder: --segment " + std::to_string(o.segment) + " is not a multiple of the hop " + std::to_string(g.hop));
  const MelAnalyzer analyzer(mel_preset(g.preset));
  if (analyzer.preset().stft.hop != g.hop)
    throw InvalidArgument("train vocoder: the generator's hop " + std::to_string(g.hop) + " differs from preset " + g.preset + "'s");
  check_run_identity(o.out_dir, run_identity(o, g), o.resume, "train vocoder");
  Discriminators disc(o.disc_width);
  if (!o.init.empty() && !o.resume) load_weights(*g.module, load_weight_file(o.init, {/*fold_weight_norm=*/true}), o.init);
  const auto adamw = [&](double wd) { return torch::optim::AdamWOptions(o.lr).betas({0.8, 0.99}).weight_decay(wd); };
  torch::optim::AdamW opt_g(g.module->parameters(), adamw(0.01));
  torch::optim::AdamW opt_d(disc->parameters(), adamw(0.01));
  if (o.resume) {
    const std::string dir = checkpoint_dir(o.out_dir, step);
    load_weights(*g.module, load_weight_file(dir + "/generator.safetensors"), dir + "/generator.safetensors");
    load_weights(*disc, load_weight_file(dir + "/discriminators.safetensors"), dir + "/discriminators.safetensors");
    torch::load(opt_g, dir + "/optimizer_g.pt");
    torch::load(opt_d, dir + "/optimizer_d.pt");
  }
  const Data data = load_data(o, analyzer);
  if (data.train.empty())
    throw InvalidArgument("train vocoder: the corpus has no train utterance longer than --segment " + std::to_string(o.segment));
  const SpectralLosses losses(analyzer.preset().sample_rate);
  TrainingLog log(o.out_dir + "/loss.csv", o.out_dir + "/loss.png", {"val_mel_l1", "loss_d", "mel_l1"}, step + 1);
  double loss_value = 0, val = 0;
  while (step < o.steps) {
    g.module->train();
    const double lr = warmup_cosine_lr(o.lr, o.warmup, o.steps, step);
    set_lr(opt_g, lr);
    set_lr(opt_d, lr);
    const auto [mel, audio] = draw_batch(data.train, o, g.hop, step);
    const torch::Tensor fake = g.forward(mel);
    const bool gan = step >= o.gan_start;
    const torch::Tensor real1 = audio.unsqueeze(1);
    std::map<std::string, double> metrics;
    if (gan) {
      const torch::Tensor fake1 = fake.detach().unsqueeze(1);
      const torch::Tensor loss_d = discriminator_loss(disc->mpd(real1), disc->mpd(fake1)) +
                                   discriminator_loss(disc->msd(real1), disc->msd(fake1));
      opt_d.zero_grad();
      loss_d.backward();
      torch::nn::utils::clip_grad_norm_(disc->parameters(), o.clip);
      opt_d.step();
      metrics["loss_d"] = loss_d.item<double>();
    }
    const torch::Tensor mel_l1 = losses.mel_l1(fake, audio);
    torch::Tensor loss = o.mel_weight * mel_l1 + o.stft_weight * losses.multi_resolution(fake, audio);
    if (gan) {
      const torch::Tensor fake1 = fake.unsqueeze(1);
      DiscriminatorOutput mpd_real, msd_real;
      {
        torch::NoGradGuard no_grad;  // real features are targets only
        mpd_real = disc->mpd(real1);
        msd_real = disc->msd(real1);
      }
      const DiscriminatorOutput mpd_fake = disc->mpd(fake1), msd_fake = disc->msd(fake1);
      loss = loss + generator_adversarial_loss(mpd_fake) + generator_adversarial_loss(msd_fake) +
             o.fm_weight * (feature_matching_loss(mpd_real, mpd_fake) + feature_matching_loss(msd_real, msd_fake));
    }
    opt_g.zero_grad();
    loss.backward();
    torch::nn::utils::clip_grad_norm_(g.module->parameters(), o.clip);
    opt_g.step();
    ++step;
    loss_value = loss.item<double>();
    metrics["mel_l1"] = mel_l1.item<double>();
    if (step % o.validate_every == 0 || step == o.steps) {
      val = validate_model(g, data, losses, analyzer, o.out_dir, step);
      metrics["val_mel_l1"] = val;
    }
    log.add(step, loss_value, lr, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), metrics);
    if (step % o.checkpoint_every == 0 || step == o.steps) {
      save_checkpoint(o, step, g, disc, opt_g, opt_d);
      log.write();
    }
    if (progress) progress(step, loss_value);
  }
  g.module->eval();
  save_vocoder(o.out_dir + "/vocoder.safetensors", *g.module, g.architecture, g.config_json,
               {{"dubkit.steps", std::to_string(step)}, {"dubkit.val_mel_l1", std::to_string(val)}}, o.half);
  log.write();
  VocoderTrainReport rep;
  rep.steps = step;
  rep.final_loss = loss_value;
  rep.val_mel_l1 = val;
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

}  // namespace dubkit
