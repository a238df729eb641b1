// The synthesizer's training examples, their batches and its loss, shared by `train synth` and
// `voice adapt` so that adaptation optimises exactly what training did.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "audio/mel_preset.hpp"
#include "synth/synthesizer.hpp"

namespace dubkit {

// 1 for each band of `analyzer` whose filter lies wholly below 97% of source_rate / 2 (what
// resampling to the preset's rate passes whole), else 0: a
// recording made at source_rate (a 16 kHz flite voice, a telephone prompt) holds nothing above
// that, so its empty top bands are left out of the loss rather than taught as silence; the
// full-band recordings teach those bands. source_rate 0 (unknown) or at least the preset's
// rate: every band. [n_mels] float.
torch::Tensor recorded_bands(const MelAnalyzer& analyzer, int source_rate);

struct SynthItem {
  std::string id;
  torch::Tensor phones;     // [N] int64
  torch::Tensor durations;  // [N] float frames, summing to T
  torch::Tensor mel;        // [T, n_mels] in the synthesizer's preset
  torch::Tensor bands;      // [n_mels] recorded_bands() of its recording (undefined: all)
  torch::Tensor speaker;    // [speaker_dim], the embedding to condition on
  long language = 0;
};

// Pads the items into one batch (phones with 0, mels with kSilenceMel).
SynthesizerBatch collate_synth_batch(const std::vector<const SynthItem*>& items, int n_mels);

// [B, T, 1] float: 1 on the frames each utterance has.
torch::Tensor frame_mask(const torch::Tensor& lengths, long t);

// L1 + L2 of the decoder's and the postnet's mels over the frames and recorded bands each
// utterance has, plus `duration_weight` x the mean squared error of log(1 + frames) per phone.
torch::Tensor synthesizer_loss(const SynthesizerOutput& out, const SynthesizerBatch& batch, double duration_weight);

}  // namespace dubkit
