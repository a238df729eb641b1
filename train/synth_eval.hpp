// Evaluation of a synthesizer on a corpus's held-out speakers reading held-out sentences,
// judged by tools that are not dubkit's own models where possible:
//   intelligibility  PocketSphinx word error rate of the synthesised speech, next to the WER of
//                    the corpus's own ground truth for the same sentence and speaker (the corpus
//                    engine + that speaker's perturbation, exactly as the corpus was made)
//   similarity       speaker-encoder cosine between the synthesised speech and the speaker's
//                    profile (enrolled from their corpus recordings); same speaker vs every
//                    other held-out speaker of the language
//   duration         requested vs produced length for target durations at several stretches
// The synthesised speech is never written anywhere (issue 22, item 7): the profiles come from
// the corpus's files, which could be anyone's voice, and audio kept from here would carry no
// watermark, manifest or render-log entry. Listen to a voice through `say`, which has them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dubkit {

struct SynthEvalOptions {
  std::string corpus_dir;
  std::string synthesizer_path;
  std::string encoder_path;
  std::string vocoder = "griffinlim";  // "griffinlim" or a vocoder file (vocoder/vocoder.hpp)
  std::string split = "test";
  std::string lang = "en";
  int sentences = 40;              // held-out sentences, dealt round-robin to the split's speakers
  int enroll_utterances = 8;       // corpus recordings per speaker profile
  std::vector<double> stretches = {0.8, 0.9, 1.0, 1.1, 1.25};
  bool recognise = true;           // WER (PocketSphinx: English only); must be false for other languages
  std::uint64_t seed = 1;
  void validate() const;           // throws InvalidArgument naming the field
};

// Returns a JSON report (totals and one row per sentence). `progress(done, total)` after each
// sentence.
nlohmann::ordered_json evaluate_synthesizer(const SynthEvalOptions& opts,
                                            const std::function<void(int, int)>& progress = {});

}  // namespace dubkit
