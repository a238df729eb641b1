// `dubkit corpus build`: a multi-speaker, multi-language speech corpus made from Debian's
// synthesisers (engines.hpp), perturbed into pseudo-speakers (perturb.hpp), reading
// public-domain sentences (texts.hpp).
//
// Layout of the output directory:
//   wav/<speaker>/<utterance>.wav   16 kHz mono 16-bit
//   wav/<speaker>/<utterance>.json  that utterance's manifest line (written after the WAV:
//                                   its presence marks the utterance finished)
//   wav<rate>/...                   the same audio at each further --rates entry
//   manifest.jsonl                  every utterance (manifest.hpp), speaker then index order
//   speakers.json                   every speaker: base voice, language, split, perturbation
//   summary.json                    hours and counts per language, split and speaker
//   heldout_sentences.<lang>.txt    sentences never spoken in the corpus
// Deterministic for a seed and options (each utterance's sentence, perturbation and level
// come from stable hashes, not from the order of work). Resumable: finished utterances are
// kept and skipped.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "corpus/engines.hpp"
#include "corpus/perturb.hpp"

namespace dubkit {

// One pseudo-speaker, as speakers.json lists it.
struct CorpusSpeaker {
  std::string id;
  BaseVoice base;
  int index = 0;  // 0: the base voice unperturbed
  std::string split;
  VoicePerturbation perturbation;
};

// Reads DIR/speakers.json. Throws IoError when missing, FormatError naming the entry.
std::vector<CorpusSpeaker> read_corpus_speakers(const std::string& corpus_dir);

// `text` (already normalised) as speaker `s` says it in the corpus: its base voice, then its
// perturbation, at 16 kHz, peak-normalised to `peak`; phone times follow the perturbation.
SpokenUtterance speak_as(const CorpusSpeaker& s, const std::string& text, unsigned seed, double peak);

struct CorpusOptions {
  std::string out_dir;
  double hours = 5.0;                              // total audio to generate
  int speakers = 240;                              // pseudo-speakers, spread evenly over languages
  std::uint64_t seed = 1;
  std::vector<std::string> langs = {"en", "es", "de"};
  std::vector<int> rates = {16000};                // the first is the main rate (16000)
  double val_fraction = 0.1;                       // of each language's speakers
  double test_fraction = 0.1;
  int threads = 2;                                 // worker threads (speakers in parallel)
  void validate() const;                           // throws InvalidArgument naming the field
};

// Builds (or completes) the corpus; `progress(done_seconds, total_seconds)` is called from the
// calling thread. Returns the summary written to summary.json.
nlohmann::ordered_json build_corpus(const CorpusOptions& opts,
                                    const std::function<void(double, double)>& progress = {});

}  // namespace dubkit
