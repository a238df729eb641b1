// `dubkit train encoder`: trains the GE2E speaker encoder (generalised end-to-end loss, softmax
// variant, Wan et al. 2018) on the train speakers of one or more corpora.
//
// The main corpus (`corpus_dir`) is the one the model is for: its val speakers validate and
// calibrate the threshold, and each of its train speakers also gives `pseudo_speakers`
// pseudo-speakers (corpus/perturb.hpp's perturbations of up to `pseudo_seconds` of its speech),
// so a few dozen real voices become a few hundred realistic ones. `more_corpora` add their
// train speakers as they are (the synthetic corpus beside a real one). Utterances shorter than
// a window (single words) are joined per speaker, in manifest order, into window-long pieces.
//
// Each step draws `speakers` train speakers x `utterances` utterances each and one random
// window of `frames` ge2e-40 mel frames (VAD-trimmed speech) per utterance; the batch at step s
// depends only on (seed, s), so a resumed run sees exactly the batches an uninterrupted one
// would. Checkpoints (model, Adam state, step) go to OUT/checkpoints/step_NNNNNNN/; the log to
// OUT/loss.csv and OUT/loss.png; every `validate_every` steps the EER of 2 s trials on the
// val speakers is measured. The final model, with the threshold calibrated at the val EER
// point, is OUT/encoder.safetensors.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "voice/speaker_encoder.hpp"

namespace dubkit {

struct EncoderTrainOptions {
  std::string corpus_dir;
  std::vector<std::string> more_corpora;
  int pseudo_speakers = 0;        // per train speaker of the main corpus
  double pseudo_seconds = 90;     // of speech perturbed for each pseudo-speaker
  // Share of each batch's speakers drawn from the main corpus and its pseudo-speakers (0: drawn
  // from all speakers alike). Batches of real voices only are harder than mixed ones.
  double main_share = 0;
  std::string out_dir;
  long steps = 3000;              // total optimisation steps
  int speakers = 32;              // speakers per batch (N)
  int utterances = 8;             // utterances per speaker (M)
  int frames = 160;               // mel frames per training window (1.6 s)
  double lr = 1e-3;               // peak Adam learning rate
  long warmup = 100;              // linear warm-up steps, then cosine decay to lr / 20
  double clip = 3.0;              // gradient norm clip
  // Smaller than SV2TTS's (hidden 256, raw power input) for the CPU budget; see the model card.
  SpeakerEncoderConfig model{40, 128, 3, 256, /*log_input=*/true};
  long checkpoint_every = 100;
  long validate_every = 250;
  std::uint64_t seed = 1;
  bool resume = false;            // continue from the latest checkpoint in out_dir
  std::string init;               // start from these weights (a trained encoder) instead of random ones
  int threads = 2;
  void validate() const;          // throws InvalidArgument naming the field
};

struct EncoderTrainReport {
  long steps = 0;
  double final_loss = 0;
  double val_eer = 0;
  double threshold = 0;
  double seconds = 0;  // wall time of this invocation
};

// `progress(step, loss)` is called after every step.
EncoderTrainReport train_encoder(const EncoderTrainOptions& opts,
                                 const std::function<void(long, double)>& progress = {});

// The GE2E softmax loss of embeddings [N, M, D] with scale w (> 0) and offset b (exposed for
// tests): cross-entropy of each utterance's scaled cosine similarity to every speaker
// centroid, its own centroid computed without it.
torch::Tensor ge2e_loss(const torch::Tensor& embeddings, const torch::Tensor& w, const torch::Tensor& b);

}  // namespace dubkit
