#include "align/aligner.hpp"

#include <algorithm>
#include <cmath>

#include "align/phone_classes.hpp"
#include "audio/io.hpp"
#include "audio/resample.hpp"
#include "core/error.hpp"
#include "text/phonemizer.hpp"

namespace dubkit {

namespace {

constexpr double kFrameSeconds = double(kAlignerHop) / kAlignerSampleRate;

double prior_scale_of(const LoadedAlignerModel& m) {
  const auto it = m.metadata.find("dubkit.prior_scale");
  if (it == m.metadata.end()) return kDefaultPriorScale;
  try {
    const double v = std::stod(it->second);
    if (!(v >= 0 && v <= 10)) throw std::out_of_range("prior scale");
    return v;
  } catch (const std::exception&) {
    throw FormatError(m.source + ": metadata dubkit.prior_scale '" + it->second + "' is not a number in [0, 10]");
  }
}

}  // namespace

Aligner::Aligner(const std::string& model_path) {
  LoadedAlignerModel m = load_aligner_model(model_path);
  prior_scale_ = prior_scale_of(m);
  model_ = m.model;
  source_ = model_path;
  const torch::Tensor p = model_->log_prior().contiguous();
  log_prior_.assign(p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
}

Aligner::Aligner(AlignerNet model, double prior_scale) : model_(std::move(model)) {
  if (!model_) throw InvalidArgument("aligner: no model");
  if (!std::isnan(prior_scale)) {
    if (prior_scale < 0) throw InvalidArgument("aligner: prior scale " + std::to_string(prior_scale) + " is negative");
    prior_scale_ = prior_scale;
  }
  model_->eval();
  source_ = "(in memory)";
  const torch::Tensor p = model_->log_prior().contiguous();
  log_prior_.assign(p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
}

FrameScores Aligner::log_posteriors(const Waveform& wave) const {
  const torch::Tensor features = aligner_features(wave);
  torch::NoGradGuard no_grad;
  const torch::Tensor lp = model_->forward(features.unsqueeze(0)).squeeze(0).contiguous();  // [T, C]
  FrameScores s(static_cast<int>(lp.size(0)), static_cast<int>(lp.size(1)));
  std::copy(lp.data_ptr<float>(), lp.data_ptr<float>() + lp.numel(), s.data.begin());
  return s;
}

std::vector<PhoneSpan> Aligner::align(const Waveform& wave, const std::vector<std::string>& phones,
                                      const AlignOptions& options) const {
  if (phones.empty()) throw InvalidArgument("align: no phones to align");
  return align_posteriors(log_posteriors(wave), double(wave.samples.size()) / wave.rate, phones, options);
}

std::vector<PhoneSpan> Aligner::align_posteriors(const FrameScores& lp, double seconds, const std::vector<std::string>& phones,
                                                 const AlignOptions& options) const {
  return align_scored(lp, seconds, phones, options).phones;
}

ScoredAlignment Aligner::align_scored(const FrameScores& lp, double seconds, const std::vector<std::string>& phones,
                                      const AlignOptions& options) const {
  if (phones.empty()) throw InvalidArgument("align: no phones to align");
  if (lp.classes != static_cast<int>(log_prior_.size()))
    throw InvalidArgument("align: posteriors over " + std::to_string(lp.classes) + " classes, the model has " +
                          std::to_string(log_prior_.size()));
  const double scale = std::isnan(options.prior_scale) ? prior_scale_ : options.prior_scale;
  if (!(scale >= 0)) throw InvalidArgument("align: prior scale " + std::to_string(scale) + " must be >= 0");

  std::vector<int> classes = phone_classes(phones);
  std::vector<bool> optional(classes.size());
  for (std::size_t i = 0; i < classes.size(); ++i) optional[i] = options.optional_pauses && classes[i] == kPauseClass;
  const bool lead = options.edge_silence && classes.front() != kPauseClass;
  const bool trail = options.edge_silence && classes.back() != kPauseClass;
  if (lead) classes.insert(classes.begin(), kPauseClass), optional.insert(optional.begin(), true);
  if (trail) classes.push_back(kPauseClass), optional.push_back(true);

  FrameScores scores = lp;
  for (int t = 0; t < scores.frames; ++t)
    for (int c = 0; c < scores.classes; ++c) scores.at(t, c) -= static_cast<float>(scale * log_prior_[static_cast<std::size_t>(c)]);
  ForcedAlignment a = forced_align(scores, classes, optional);
  double regret = 0;
  for (std::size_t i = 0; i < a.spans.size(); ++i)
    for (int t = a.spans[i].begin; t < a.spans[i].end; ++t) {
      const float* row = &lp.data[static_cast<std::size_t>(t) * lp.classes];
      regret += *std::max_element(row, row + lp.classes) - row[classes[i]];
    }
  if (lead) a.spans.erase(a.spans.begin());
  if (trail) a.spans.pop_back();
  return {frame_spans_to_times(a.spans, phones, seconds), regret / std::max(lp.frames, 1)};
}

std::vector<PhoneSpan> frame_spans_to_times(const std::vector<FrameSpan>& spans, const std::vector<std::string>& phones,
                                            double seconds) {
  if (spans.size() != phones.size())
    throw InvalidArgument("frame spans: " + std::to_string(spans.size()) + " spans for " + std::to_string(phones.size()) + " phones");
  // The frame count of audio this long (aligner_features): boundary `frames` is the audio's end.
  const long samples = std::lround(seconds * kAlignerSampleRate);
  const int frames = static_cast<int>(samples / kAlignerHop) + 1;
  auto time_of = [&](int b) {
    if (b <= 0) return 0.0;
    if (b >= frames) return seconds;
    return std::clamp((b - 0.5) * kFrameSeconds, 0.0, seconds);
  };
  std::vector<PhoneSpan> out;
  out.reserve(spans.size());
  for (std::size_t i = 0; i < spans.size(); ++i) out.push_back({phones[i], time_of(spans[i].begin), time_of(spans[i].end)});
  return out;
}

std::vector<int> frame_class_labels(const std::vector<PhoneSpan>& phones, int frames) {
  std::vector<int> out(static_cast<std::size_t>(std::max(frames, 0)), kPauseClass);
  std::size_t p = 0;
  for (int t = 0; t < frames; ++t) {
    const double centre = t * kFrameSeconds;
    while (p < phones.size() && phones[p].end <= centre) ++p;
    if (p == phones.size()) break;
    if (phones[p].start <= centre) out[static_cast<std::size_t>(t)] = phone_class(phones[p].phone);
  }
  return out;
}

ScoredAlignment align_file(const Aligner& aligner, const std::string& path, const std::vector<std::string>& phones,
                           const AlignOptions& options) {
  Waveform w = read_mono(path);
  if (w.rate != kAlignerSampleRate) w = resample(w, kAlignerSampleRate);
  if (phones.empty()) throw InvalidArgument("align: no phones to align");
  return aligner.align_scored(aligner.log_posteriors(w), double(w.samples.size()) / w.rate, phones, options);
}

std::vector<std::string> phones_for_text(const std::string& text, const std::string& lang) {
  return alignable_phones(phonemize(text, espeak_language(lang)).symbols);
}

std::vector<std::string> alignable_phones(const std::vector<std::string>& symbols) {
  std::vector<std::string> out;
  for (const std::string& s : symbols) {
    if (s == " " || strip_phone_marks(s).empty()) continue;  // word gaps, lone stress and length marks
    if (phone_class(s) == kPauseClass) {
      if (out.empty() || out.back() != "_") out.push_back("_");
      continue;
    }
    out.push_back(s);
  }
  return out;
}

}  // namespace dubkit
