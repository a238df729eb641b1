// `dubkit align eval`: the aligner's boundary errors against reference segmentations.
//
//   corpus     a corpus split (test = held-out speakers): the corpus's own phones are aligned
//              and compared with the times the engine (flite, espeak-ng) reported, boundary
//              for boundary; per language and engine too.
//   festival   a festvox voice's recordings and labels (real speech, another phone set): the
//              prompt is phonemized by espeak-ng, aligned, and matched against the labels
//              (boundary_eval.hpp's matcher); and, as the acoustic model's own figure, the
//              labels' phone sequence itself (mapped to IPA) aligned and compared one to one.
//
// Utterances that cannot be aligned (fewer frames than phones) are counted as failed, not
// scored. Single-threaded; the Aligner may be shared.
#pragma once

#include <map>
#include <string>

#include "align/aligner.hpp"
#include "align/boundary_eval.hpp"

namespace dubkit {

struct AlignEvalReport {
  int utterances = 0;          // aligned and scored
  int failed = 0;              // could not be aligned
  double audio_seconds = 0;
  double seconds = 0;          // wall time of the evaluation
  BoundarySummary all;         // the headline figure
  std::map<std::string, BoundarySummary> groups;  // corpus: "<lang>/<engine>"; festival: "lab-phones"
};

struct CorpusAlignEvalOptions {
  std::string corpus_dir;
  std::string split = "test";
  std::string lang;            // only this corpus language; empty = all
  int utterances = 0;          // at most this many, spread evenly over the split; 0 = all
  double tolerance_ms = 20;
  AlignOptions align;
  void validate() const;       // throws InvalidArgument naming the flag
};
AlignEvalReport evaluate_aligner_on_corpus(const Aligner& aligner, const CorpusAlignEvalOptions& options);

struct FestivalAlignEvalOptions {
  std::string lab_dir;         // <id>.lab
  std::string wav_dir;         // <id>.wav (any rate; resampled to 16 kHz)
  std::string prompts;         // txt.done.data
  std::string lang = "ru";     // espeak-ng language of the prompts
  int utterances = 0;          // at most this many, in prompt order; 0 = all
  double tolerance_ms = 20;
  AlignOptions align;
  void validate() const;       // throws InvalidArgument naming the flag
};
// The labels' phone names are read as msu_ru (festival_labels.hpp), the phone set of the
// festvox Russian voice; '+' stress marks in the prompts are removed before phonemizing.
AlignEvalReport evaluate_aligner_on_festival(const Aligner& aligner, const FestivalAlignEvalOptions& options);

}  // namespace dubkit
