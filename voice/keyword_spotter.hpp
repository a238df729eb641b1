// Keyword spotting with PocketSphinx: how well each word of a list fits the audio where it
// should be, scored against a free phone loop and against the other words that could have been
// said there. The consent check uses it to hear a spoken statement's challenge words one by
// one, which a sentence-level word error rate cannot: a statement that drops or replaces its
// last four words still has a low error rate.
#pragma once

#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "audio/waveform.hpp"
#include "voice/speech_recognizer.hpp"

namespace dubkit {

class PocketSphinxDecoder;  // voice/pocketsphinx_decoder.hpp

struct SpottedWord {
  std::string word;
  bool found = false;  // a detection exists where the word may be (see spot_in_order)
  double start = std::numeric_limits<double>::quiet_NaN();  // seconds into the audio
  double end = std::numeric_limits<double>::quiet_NaN();
  // Mean log-likelihood ratio per 10 ms frame (natural log) of the word's phones against the
  // best free phone sequence over the same frames: near 0 when the word fits the audio as well
  // as anything could, well below 0 when other sounds were said. -infinity when not found.
  double score = -std::numeric_limits<double>::infinity();
  // score minus the best score of any other candidate word detected over the same frames
  // (overlapping by at least half of the shorter): above 0 when this word explains the audio
  // better than every other candidate. +infinity when no other candidate was detected there,
  // -infinity when not found.
  double margin = -std::numeric_limits<double>::infinity();
};

// Thread safety as SpeechRecognizer: one spotter per thread. Movable, not copyable.
class KeywordSpotter {
 public:
  // Throws what SpeechRecognizer's constructor throws. Only the acoustic model and the
  // dictionary of `config` are used.
  explicit KeywordSpotter(const RecognizerConfig& config = {});
  ~KeywordSpotter();
  KeywordSpotter(KeywordSpotter&&) noexcept;
  KeywordSpotter& operator=(KeywordSpotter&&) noexcept;

  // Looks for `anchor` (a phrase; "" for none) and then for each of `words` in order, in one
  // pass over `wave`: each word is taken at its best-scoring detection that starts after the
  // anchor's or the previous word's chosen detection and overlaps it by less than half, and is
  // compared with the detections of `candidates` (the other words that could be there; `words`
  // are added to them) over the same frames. A word that cannot be placed so is not found, and
  // neither are the words after it; so is a word (or an anchor word) missing from the
  // recogniser's dictionary. Throws what SpeechRecognizer::transcribe throws for bad audio,
  // Error when pocketsphinx fails.
  std::vector<SpottedWord> spot_in_order(const Waveform& wave, const std::string& anchor, const std::vector<std::string>& words,
                                         const std::vector<std::string>& candidates = {});

 private:
  bool in_dictionary(const std::string& word) const;
  std::unique_ptr<PocketSphinxDecoder> decoder_;
};

}  // namespace dubkit
