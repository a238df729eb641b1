// `dubkit train synth`: trains the duration-controlled synthesizer (synth/synthesizer.hpp) on a
// corpus's train speakers, each utterance conditioned on its own speaker embedding (SV2TTS).
//
// Targets: mels of the corpus audio in the model's preset (wav2lip-16k from the 16 kHz files,
// dubkit-22k from the corpus's 22050 Hz copy: corpus_audio_path), conditioned on the embedding
// of the 16 kHz file; per-phone durations from the corpus's phone timings (rounded on the frame
// grid so they sum to the mel length). Loss: L1 + L2 of the decoder's and the postnet's mels
// over the bands each recording has (recorded_bands: a 16 kHz source teaches nothing above
// 8 kHz, neither sound nor silence), plus MSE of log(1 + frames) of the durations.
//
// Data: the train utterances of the corpus and of `more_corpora` (a real corpus beside the
// synthetic one), those with phone timings; its val utterances measure the run. The symbol
// table and languages are the union of all of them. The batch of
// step s (utterances of similar length) depends only on (seed, s), and dropout is seeded from
// (seed, s) too, so a resumed run continues exactly as an uninterrupted one.
//
// OUT/checkpoints/step_NNNNNNN/ (model, Adam state), OUT/loss.csv + loss.png, and every
// `validate_every` steps OUT/val/step_NNNNNNN_{mel,alignment}.png and _griffinlim.wav (a val
// utterance generated free-running with predicted durations). Final model:
// OUT/synthesizer.safetensors.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "corpus/engines.hpp"
#include "synth/synthesizer.hpp"

namespace dubkit {

struct SynthTrainOptions {
  std::string corpus_dir;         // its val utterances measure the run
  std::vector<std::string> more_corpora;  // more train utterances
  std::string encoder_path;       // speaker encoder for the conditioning embeddings
  std::string out_dir;
  long steps = 6000;              // total optimisation steps
  int batch = 16;                 // utterances per step
  double lr = 1e-3;               // peak Adam learning rate
  long warmup = 300;              // linear warm-up, then cosine decay to lr / 20
  double clip = 1.0;              // gradient norm clip
  double duration_weight = 1.0;   // weight of the duration loss
  double max_seconds = 10.0;      // longer utterances are left out
  SynthesizerConfig model;        // n_symbols, n_languages (corpus) and speaker_dim (encoder) are set by the trainer;
                                  // its mel_preset picks the targets
  long checkpoint_every = 200;
  long validate_every = 500;
  std::uint64_t seed = 1;
  bool resume = false;            // continue from the latest checkpoint in out_dir
  bool half = false;              // write the final model in float16
  int threads = 2;
  void validate() const;          // throws InvalidArgument naming the field
};

struct SynthTrainReport {
  long steps = 0;
  double final_loss = 0;
  double val_mel_l1 = 0;          // teacher-forced, postnet output, preset units ([-4, 4]), recorded bands
  double val_free_mel_l1 = 0;     // free-running with ground-truth durations
  double val_duration_error = 0;  // mean |predicted - true| phone duration, frames
  double seconds = 0;             // wall time of this invocation
};

// `progress(step, loss)` is called after every step.
SynthTrainReport train_synthesizer(const SynthTrainOptions& opts,
                                   const std::function<void(long, double)>& progress = {});

// Phone durations in mel frames: boundaries rounded to the frame grid at `frames_per_second`,
// the last phone absorbing the difference so that the durations sum to `mel_frames` exactly.
std::vector<float> phone_frames(const std::vector<PhoneSpan>& phones, long mel_frames, double frames_per_second);

}  // namespace dubkit
