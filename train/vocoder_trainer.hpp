// `dubkit train vocoder`: trains a vocoder generator (the default ConvNeXt-iSTFT network, or a
// HiFi-GAN of any public configuration) with the HiFi-GAN recipe's losses:
//   generator:      45 x L1 of log-mel (n_fft 1024, hop 256, 80 bands to 8 kHz)
//                 + stft_weight x multi-resolution STFT loss (spectral convergence + log
//                   magnitude L1 at 512/1024/2048-point FFTs)
//                 + adversarial (least squares) + 2 x feature matching, from `gan_start` on
//   discriminators: multi-period + multi-scale (train/vocoder_discriminators.hpp), least squares.
// The reconstruction-only start is not in the recipe: on 2 cores it reaches intelligible speech
// in minutes, and the discriminators then refine the phase and fine structure.
//
// Data: random `segment`-sample excerpts of the train utterances of the corpus (and of
// `more_corpora`: a real corpus beside the synthetic one) with their mel frames
// (mels of the whole utterance, so excerpts see no edge effects), or, with `finetune_synth`, the
// synthesizer's teacher-forced mels of the same utterances (ground-truth durations, so its frames
// line up with the real audio): the vocoder then learns to undo the synthesizer's smoothing.
// The excerpts of step s depend only on (seed, s), so a resumed run continues exactly as an
// uninterrupted one.
//
// OUT/run.json holds the options that define the run; --resume refuses different ones (except
// --steps).
//
// Where it departs from the public recipe, for 2 CPU cores: AdamW at 5e-4 with warm-up and cosine
// decay (public: 2e-4, exponential decay per epoch); no weight norm or spectral norm, and
// LibTorch's default initialisation (public: N(0, 0.01) for the generator's convolutions);
// narrower discriminators (`disc_width`); the reconstruction-only start.
//
// OUT/checkpoints/step_NNNNNNN/ (generator.safetensors, discriminators.safetensors, Adam states),
// OUT/loss.csv + loss.png, OUT/val/step_NNNNNNN.wav + .png every `validate_every` steps; final
// model OUT/vocoder.safetensors.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "vocoder/convnext_vocoder.hpp"

namespace dubkit {

struct VocoderTrainOptions {
  std::string corpus_dir;         // its val utterances measure the run
  std::vector<std::string> more_corpora;  // more train utterances
  std::string out_dir;
  std::string architecture = "convnext-istft";  // or "hifigan"
  ConvNextVocoderConfig model;    // the convnext-istft network's size
  std::string hifigan_config;     // config.json for "hifigan" (its mel_preset's rate must be the corpus's)
  std::string init;               // generator weights to start from (a dubkit vocoder file)
  std::string finetune_synth;     // synthesizer whose teacher-forced mels replace the analysed ones
  std::string encoder_path;       // speaker encoder for the synthesizer's conditioning (with finetune_synth)
  long steps = 5000;              // total optimisation steps
  int batch = 8;                  // excerpts per step
  int segment = 8000;             // samples per excerpt (a multiple of the hop: 40 frames, 0.5 s)
  double lr = 5e-4;               // peak AdamW learning rate (generator and discriminators)
  long warmup = 200;              // linear warm-up, then cosine decay to lr / 20
  long gan_start = 3000;          // steps before the discriminators join
  double disc_width = 0.125;      // discriminator channels relative to the public recipe
  double mel_weight = 45.0;
  double stft_weight = 2.5;
  double fm_weight = 2.0;
  double clip = 100.0;            // gradient norm clip (a guard against spikes only)
  int max_utterances = 0;         // train on the first N train utterances (0 = all)
  long checkpoint_every = 200;
  long validate_every = 500;
  std::uint64_t seed = 1;
  bool resume = false;
  bool half = false;              // write the final model in float16
  int threads = 2;
  void validate() const;          // throws InvalidArgument naming the flag
};

struct VocoderTrainReport {
  long steps = 0;
  double final_loss = 0;      // generator loss of the last step
  double val_mel_l1 = 0;      // log-mel L1 of whole val utterances
  double seconds = 0;
};

VocoderTrainReport train_vocoder(const VocoderTrainOptions& opts,
                                 const std::function<void(long, double)>& progress = {});

}  // namespace dubkit
