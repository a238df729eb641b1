// `dubkit train aligner`: trains the aligner's frame classifier (align/aligner_model.hpp) on a
// corpus's train speakers, with the engines' own phone times as frame labels.
//
// Each step draws `batch` crops of `frames` 10 ms frames from train utterances (shorter ones
// padded, their padding ignored by the loss) and minimises the frame cross-entropy. With
// `balance`, utterances are drawn so each (language, engine) group (en/flite, en/espeak-ng,
// es/espeak-ng, ...) gets an equal share of the batches: flite is a few percent of the corpus
// but its voices are the ones the aligner's flite test reads. Augmentation, for real
// recordings: at load, white noise at 45-65 dB below the utterance's peak on half the
// utterances (synthetic silence is digital); per crop, one band of up to 6 mels and one run of
// up to 8 frames set to the utterance mean.
//
// The batch and the augmentation of step s depend only on (seed, s), and the checkpoint holds
// the model and Adam state, so a resumed run is bit-identical to an uninterrupted one.
// Checkpoints go to OUT/checkpoints/step_NNNNNNN/, the log to OUT/loss.csv and OUT/loss.png
// (with val frame accuracy and boundary figures every `validate_every` steps). At the end the
// prior scale is calibrated on the val speakers (the one with most boundaries within 20 ms)
// and the model written to OUT/aligner.safetensors with it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "align/aligner_model.hpp"

namespace dubkit {

struct AlignerTrainOptions {
  std::string corpus_dir;
  std::string out_dir;
  long steps = 1500;            // total optimisation steps
  int batch = 16;               // crops per step
  int frames = 300;             // frames per crop (10 ms each)
  double lr = 2e-3;             // peak Adam learning rate
  long warmup = 100;            // linear warm-up steps, then cosine decay to lr / 20
  double clip = 5.0;            // gradient norm clip
  bool balance = true;          // equal share per (language, engine) group
  bool augment = true;          // noise floor, band and frame masks
  int max_utterances = 0;       // use at most this many train utterances, spread evenly (0 = all)
  int val_utterances = 48;      // val utterances for the metrics and the prior calibration
  AlignerModelConfig model;
  long checkpoint_every = 200;
  long validate_every = 250;
  std::uint64_t seed = 1;
  bool resume = false;          // continue from the latest checkpoint in out_dir
  int threads = 2;
  void validate() const;        // throws InvalidArgument naming the flag
};

struct AlignerTrainReport {
  long steps = 0;
  double final_loss = 0;
  double val_frame_accuracy = 0;  // share of val frames whose argmax class is the label's
  double val_mean_abs_ms = 0;     // val boundary error at the calibrated prior scale
  double val_within_20ms = 0;
  double prior_scale = 0;
  double seconds = 0;             // wall time of this invocation
};

// `progress(step, loss)` is called after every step.
AlignerTrainReport train_aligner(const AlignerTrainOptions& opts,
                                 const std::function<void(long, double)>& progress = {});

}  // namespace dubkit
