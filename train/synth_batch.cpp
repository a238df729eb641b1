#include "train/synth_batch.hpp"

#include <algorithm>

namespace dubkit {

// The part of a lower-rate recording's Nyquist band that survives resampling whole: the
// resampler rolls off just before it (16 kHz noise brought to 22050 Hz loses 5 dB in the
// dubkit-22k band ending at 7.9 kHz, under 0.1 dB in the one below).
constexpr double kPassband = 0.97;

torch::Tensor recorded_bands(const MelAnalyzer& analyzer, int source_rate) {
  const int n = analyzer.preset().n_features();
  torch::Tensor bands = torch::ones({n});
  if (source_rate <= 0 || source_rate >= analyzer.preset().sample_rate) return bands;
  for (int m = 0; m < n; ++m)
    if (analyzer.band_top_hz(m) > kPassband * source_rate / 2.0) bands[m] = 0.0f;
  return bands;
}

SynthesizerBatch collate_synth_batch(const std::vector<const SynthItem*>& items, int n_mels) {
  const long b = static_cast<long>(items.size());
  long n = 0, t = 0;
  for (const SynthItem* it : items) n = std::max(n, it->phones.size(0)), t = std::max(t, it->mel.size(0));
  SynthesizerBatch batch;
  batch.phones = torch::zeros({b, n}, torch::kLong);
  batch.durations = torch::zeros({b, n});
  batch.mels = torch::full({b, t, n_mels}, kSilenceMel);
  batch.phone_lengths = torch::empty({b}, torch::kLong);
  batch.mel_lengths = torch::empty({b}, torch::kLong);
  batch.languages = torch::empty({b}, torch::kLong);
  std::vector<torch::Tensor> speakers, bands;
  for (long i = 0; i < b; ++i) {
    const SynthItem& it = *items[static_cast<std::size_t>(i)];
    batch.phones[i].narrow(0, 0, it.phones.size(0)).copy_(it.phones);
    batch.durations[i].narrow(0, 0, it.durations.size(0)).copy_(it.durations);
    batch.mels[i].narrow(0, 0, it.mel.size(0)).copy_(it.mel);
    batch.phone_lengths[i] = it.phones.size(0);
    batch.mel_lengths[i] = it.mel.size(0);
    batch.languages[i] = it.language;
    speakers.push_back(it.speaker);
    bands.push_back(it.bands.defined() ? it.bands : torch::ones({n_mels}));
  }
  batch.speakers = torch::stack(speakers);
  batch.bands = torch::stack(bands);
  return batch;
}

torch::Tensor frame_mask(const torch::Tensor& lengths, long t) {
  return length_mask(lengths, t).unsqueeze(2).to(torch::kFloat);
}

namespace {

// L1 + L2 over the frames and bands each utterance really has.
torch::Tensor mel_loss(const torch::Tensor& predicted, const SynthesizerBatch& b) {
  const long t = b.mels.size(1);
  torch::Tensor mask = frame_mask(b.mel_lengths, t);  // [B, T, 1]
  if (b.bands.defined()) mask = mask * b.bands.unsqueeze(1);
  else mask = mask.expand({-1, -1, b.mels.size(2)});
  const torch::Tensor diff = (predicted.narrow(1, 0, t) - b.mels) * mask;
  const torch::Tensor count = mask.sum();
  return diff.abs().sum() / count + diff.pow(2).sum() / count;
}

torch::Tensor duration_loss(const torch::Tensor& log_durations, const SynthesizerBatch& b) {
  const long n = b.phones.size(1);
  const torch::Tensor mask = length_mask(b.phone_lengths, n).to(torch::kFloat);
  const torch::Tensor diff = (log_durations - torch::log1p(b.durations)) * mask;
  return diff.pow(2).sum() / mask.sum();
}

}  // namespace

torch::Tensor synthesizer_loss(const SynthesizerOutput& out, const SynthesizerBatch& batch, double duration_weight) {
  return mel_loss(out.mel_decoder, batch) + mel_loss(out.mel, batch) + duration_weight * duration_loss(out.log_durations, batch);
}

}  // namespace dubkit
