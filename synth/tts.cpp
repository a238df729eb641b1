#include "synth/tts.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "audio/mel_preset.hpp"
#include "core/error.hpp"
#include "provenance/crypto.hpp"
#include "synth/front_end.hpp"
#include "synth/synthesizer.hpp"

namespace dubkit {

struct TextToSpeech::Impl {
  LoadedSynthesizer model;
  std::string sha256;  // of the file, computed when an adapted profile first needs it
  const MelPreset& preset() const { return mel_preset(model.model->config().mel_preset); }
  double fps() const { return preset().frames_per_second(); }

  long language_id(const std::string& lang) const {
    const auto it = std::find(model.languages.begin(), model.languages.end(), lang);
    if (it == model.languages.end()) {
      std::string known;
      for (const std::string& l : model.languages) known += (known.empty() ? "" : ", ") + l;
      throw InvalidArgument("language '" + lang + "' is not one the synthesizer " + model.source + " knows (" + known + ")");
    }
    return std::distance(model.languages.begin(), it);
  }

  // The text's sentences after checking the language, speaker and controls.
  std::vector<std::string> check(const std::string& text, const std::vector<float>& speaker, const SayOptions& opts) const;
  // Phones and predicted durations of one sentence.
  SentencePlan predict(const std::string& sentence, const std::vector<float>& speaker, const std::string& lang);
  void fit(SentencePlan& p, const DurationControls& c) const;

  torch::Tensor features(const SentencePlan& s, const std::vector<float>& speaker, long lang) {
    const torch::Tensor ids = torch::tensor(s.ids, torch::kLong).unsqueeze(0);
    const torch::Tensor spk = torch::tensor(speaker).unsqueeze(0);
    return model.model->encode(ids, torch::tensor({ids.size(1)}, torch::kLong), spk, torch::tensor({lang}, torch::kLong));
  }
};

TextToSpeech::TextToSpeech(const std::string& path) : impl_(std::make_unique<Impl>()) {
  impl_->model = load_synthesizer(path);
}

TextToSpeech::~TextToSpeech() = default;

const std::vector<std::string>& TextToSpeech::languages() const { return impl_->model.languages; }
std::string TextToSpeech::encoder() const {
  const auto it = impl_->model.metadata.find("dubkit.encoder");
  return it == impl_->model.metadata.end() ? "" : it->second;
}

int TextToSpeech::speaker_dim() const { return impl_->model.model->config().speaker_dim; }
const MelPreset& TextToSpeech::preset() const { return impl_->preset(); }
int TextToSpeech::sample_rate() const { return impl_->preset().sample_rate; }
double TextToSpeech::frames_per_second() const { return impl_->fps(); }

std::vector<float> TextToSpeech::use_voice(const VoiceProfile& p) {
  const std::string who = "voice '" + p.name + "'";
  if (!encoder().empty() && encoder() != p.encoder)
    throw InvalidArgument(who + " was made with the encoder '" + p.encoder + "', the synthesizer " + impl_->model.source +
                          " expects '" + encoder() + "': enroll the voice again with that encoder");
  Synthesizer& m = impl_->model.model;
  if (!p.adaptation) {
    m->set_adapter(nullptr);
    return p.embedding;
  }
  if (impl_->sha256.empty()) impl_->sha256 = sha256_file_hex(impl_->model.source);
  if (p.adaptation->synthesizer_sha256 != impl_->sha256)
    throw InvalidArgument(who + " was adapted for the synthesizer " + p.adaptation->synthesizer + " (SHA-256 " +
                          p.adaptation->synthesizer_sha256.substr(0, 12) + "...), not " + impl_->model.source + " (" +
                          impl_->sha256.substr(0, 12) + "...): adapt it again for this one, or use that file");
  const SynthesizerConfig& c = m->config();
  SpeakerAdapter adapter(p.embedding, c.decoder_lstm, c.n_mels);
  adapter->load_values(p.adaptation->parameters, who);
  adapter->eval();
  m->set_adapter(adapter);
  const torch::Tensor e = adapter->speaker().detach();
  return std::vector<float>(e.data_ptr<float>(), e.data_ptr<float>() + e.numel());
}

std::vector<std::string> TextToSpeech::Impl::check(const std::string& text, const std::vector<float>& speaker,
                                                   const SayOptions& opts) const {
  opts.durations.validate();
  language_id(opts.lang);
  const int dim = model.model->config().speaker_dim;
  if (static_cast<int>(speaker.size()) != dim)
    throw InvalidArgument("speaker embedding has " + std::to_string(speaker.size()) + " values, the synthesizer needs " +
                          std::to_string(dim));
  std::vector<std::string> sentences = split_text(text);
  if (sentences.empty()) throw InvalidArgument("the text is empty");
  if (!opts.durations.phone_seconds.empty() && sentences.size() > 1)
    throw InvalidArgument("per-phone durations need a text of one sentence; this one has " +
                          std::to_string(sentences.size()));
  return sentences;
}

SentencePlan TextToSpeech::Impl::predict(const std::string& sentence, const std::vector<float>& speaker,
                                         const std::string& lang) {
  torch::NoGradGuard no_grad;
  SentencePlan p;
  const SentencePhones sp = sentence_phones(sentence, lang);
  p.text = sp.normalized;
  p.phones = sp.phones;
  try {
    p.ids = model.symbols.encode(p.phones);
  } catch (const InvalidArgument& e) {
    throw InvalidArgument("sentence '" + sentence + "': " + e.what());
  }
  const torch::Tensor f = features(p, speaker, language_id(lang));
  const torch::Tensor mask = torch::ones({1, f.size(1)}, torch::kBool);
  const torch::Tensor d = torch::expm1(model.model->predict_log_durations(f, mask)).clamp_min(0).squeeze(0);
  p.predicted_frames.assign(d.data_ptr<float>(), d.data_ptr<float>() + d.numel());
  return p;
}

void TextToSpeech::Impl::fit(SentencePlan& p, const DurationControls& c) const {
  try {
    p.durations = plan_durations(p.predicted_frames, c, fps());
  } catch (const InvalidArgument& e) {
    throw InvalidArgument("sentence '" + p.text + "': " + e.what());
  }
}

std::vector<SentencePlan> TextToSpeech::plan(const std::string& text, const std::vector<float>& speaker,
                                             const SayOptions& opts) {
  std::vector<SentencePlan> plans;
  double natural = 0;
  for (const std::string& sentence : impl_->check(text, speaker, opts)) {
    plans.push_back(impl_->predict(sentence, speaker, opts.lang));
    for (double x : plans.back().predicted_frames) natural += x;
  }
  // A target for the whole text is shared out in proportion to each sentence's natural length
  // (every sentence gets the same stretch), in whole frames whose sum is the target's frame
  // count, so the text's length is met to the frame however many sentences it has.
  const double target_frames = std::round(opts.durations.total_seconds * impl_->fps());
  double before = 0;
  long assigned = 0;
  for (SentencePlan& p : plans) {
    DurationControls c = opts.durations;
    if (c.total_seconds >= 0) {
      for (double x : p.predicted_frames) before += x;
      const long upto = std::lround(target_frames * before / std::max(natural, 1e-9));
      c.total_seconds = upto > assigned ? double(upto - assigned) / impl_->fps() : -1;  // -1: a zero-length share
      assigned = std::max(assigned, upto);
    }
    impl_->fit(p, c);
  }
  return plans;
}

FeatureMatrix TextToSpeech::mel(const SentencePlan& s, const std::vector<float>& speaker, const SayOptions& opts,
                                std::size_t index) {
  torch::NoGradGuard no_grad;
  Synthesizer& m = impl_->model.model;
  const long r = m->config().reduction, frames = s.durations.total_frames;
  const torch::Tensor f = impl_->features(s, speaker, impl_->language_id(opts.lang));
  const torch::Tensor mask = torch::ones({1, f.size(1)}, torch::kBool);
  const torch::Tensor d = torch::tensor(std::vector<float>(s.durations.frames.begin(), s.durations.frames.end())).unsqueeze(0);
  const torch::Tensor up = m->upsample(f, d, mask, (frames + r - 1) / r).first.squeeze(0);
  const torch::Tensor mel = m->generate(up, opts.seed * 1000003ULL + index).second.narrow(0, 0, frames).t().contiguous();
  FeatureMatrix out(static_cast<int>(mel.size(0)), static_cast<int>(mel.size(1)));
  std::copy(mel.data_ptr<float>(), mel.data_ptr<float>() + mel.numel(), out.data.begin());
  return out;
}

SayReport TextToSpeech::say(const std::string& text, const std::vector<float>& speaker, const SayOptions& opts,
                            const Vocoder& vocoder, const std::function<void(const Waveform&)>& on_audio) {
  if (vocoder.preset().name != impl_->preset().name)
    throw InvalidArgument("vocoder " + vocoder.name() + " takes " + vocoder.preset().name + " features; the synthesizer makes " +
                          impl_->preset().name);
  const auto t0 = std::chrono::steady_clock::now();
  auto since = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  SayReport report;
  // A target length for the whole text needs every sentence's natural length first; without
  // one, each sentence is planned just before it is spoken, so the first audio does not wait
  // for the rest of the text.
  const bool target = opts.durations.total_seconds >= 0;
  const std::vector<std::string> sentences = target ? std::vector<std::string>{} : impl_->check(text, speaker, opts);
  if (target) report.sentences = plan(text, speaker, opts);
  const std::size_t count = target ? report.sentences.size() : sentences.size();
  Waveform piece;
  piece.rate = sample_rate();
  for (std::size_t i = 0; i < count; ++i) {
    if (!target) {
      report.sentences.push_back(impl_->predict(sentences[i], speaker, opts.lang));
      impl_->fit(report.sentences.back(), opts.durations);
    }
    vocoder.vocode_stream(mel(report.sentences[i], speaker, opts, i), [&](const std::vector<float>& samples) {
      if (report.seconds == 0) report.first_audio_seconds = since();
      piece.samples = samples;
      report.seconds += piece.seconds();
      on_audio(piece);
    });
  }
  report.wall_seconds = since();
  return report;
}

}  // namespace dubkit
