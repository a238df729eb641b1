// How much `voice adapt` brings over zero-shot cloning, on one corpus speaker the synthesizer
// never heard (a real corpus's held-out speaker): the speaker's recordings are shuffled (seed),
// the first `test_utterances` long enough become the test sentences, and adaptation learns from
// the first 1, 5, ... minutes of the rest (recordings up to the adapter's clip limit), never from
// a test sentence. Every condition starts
// from the same profile embedding (the average over the first condition's recordings), reads
// the test sentences with `say`'s own path (predicted durations, the given vocoder) and is
// judged against the speaker's recordings of those sentences:
//   mcd          mel-cepstral distortion after time warping (audio/mel_cepstral_distortion.hpp), dB
//   similarity   the default-encoder cosine of each synthesis with the mean embedding of the
//                speaker's test recordings
//   praat        median F0 and mean F1-F3 of all test syntheses against all test recordings
//                (audio/voice_statistics.hpp: Praat, independent of dubkit's models)
//   wer          PocketSphinx word error rate (English), next to the recordings' own
// Minutes 0 is zero-shot. Nothing synthesised is kept: audio lives in memory (and for Praat in a
// temporary file removed at once), as material made from real people must.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "train/voice_adaptation.hpp"

namespace dubkit {

struct AdaptEvalOptions {
  std::string corpus_dir;
  std::string speaker;               // a speaker id of the corpus
  std::string lang = "en";           // only this language's recordings (a synthesizer language)
  std::string synthesizer, aligner, encoder;
  std::string vocoder;               // vocoder file or "griffinlim"
  std::vector<double> minutes = {0, 1, 5};  // conditions, ascending; 0 = zero-shot
  int test_utterances = 40;
  double min_test_seconds = 2.0;     // shorter recordings are not test sentences (single words)
  VoiceAdaptOptions adapt;           // steps, batch, lr, threads...; the rest is set per condition
  std::string work_dir;              // adaptation checkpoints (removed after each condition)
  bool recognise = true;             // word error rates (PocketSphinx: English only)
  std::uint64_t seed = 1;
  void validate() const;             // throws InvalidArgument naming the field
};

// A JSON report: the speaker, the test set, and per condition every figure above with its
// ratio to zero-shot. `progress(text)` names each stage as it starts.
nlohmann::ordered_json evaluate_adaptation(const AdaptEvalOptions& opts,
                                           const std::function<void(const std::string&)>& progress = {});

}  // namespace dubkit
