// The synthesizer's training examples, their batches and its loss, shared by `train synth` and
// `voice adapt` so that adaptation optimises exactly what training did.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "audio/mel_preset.hpp"
#include "synth/synthesizer.hpp"

namespace dubkit {

// The wav2lip-16k analyser the synthesizer's targets are made with, and its frame rate.
const MelAnalyzer& synth_mel_analyzer();
double synth_frames_per_second();

struct SynthItem {
  std::string id;
  torch::Tensor phones;     // [N] int64
  torch::Tensor durations;  // [N] float frames, summing to T
  torch::Tensor mel;        // [T, n_mels] wav2lip-16k
  torch::Tensor speaker;    // [speaker_dim], the embedding to condition on
  long language = 0;
};

// Pads the items into one batch (phones with 0, mels with kSilenceMel).
SynthesizerBatch collate_synth_batch(const std::vector<const SynthItem*>& items, int n_mels);

// [B, T, 1] float: 1 on the frames each utterance has.
torch::Tensor frame_mask(const torch::Tensor& lengths, long t);

// L1 + L2 of the decoder's and the postnet's mels over the frames each utterance has, plus
// `duration_weight` x the mean squared error of log(1 + frames) per phone.
torch::Tensor synthesizer_loss(const SynthesizerOutput& out, const SynthesizerBatch& batch, double duration_weight);

}  // namespace dubkit
