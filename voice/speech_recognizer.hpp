// An independent speech recogniser (CMU PocketSphinx, Debian's US English model) and word error
// rate: it hears synthesised speech without knowing the text it came from, so it can check what a
// voice actually says.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "audio/waveform.hpp"

namespace dubkit {

class PocketSphinxDecoder;  // voice/pocketsphinx_decoder.hpp

// Where Debian's pocketsphinx-en-us puts its model.
inline constexpr const char* kDefaultRecognizerModelDir = "/usr/share/pocketsphinx/model/en-us";

// A model directory laid out as pocketsphinx-en-us installs it.
struct RecognizerConfig {
  std::string model_dir = kDefaultRecognizerModelDir;

  std::string acoustic_model() const { return model_dir + "/en-us"; }
  std::string language_model() const { return model_dir + "/en-us.lm.bin"; }
  std::string dictionary() const { return model_dir + "/cmudict-en-us.dict"; }
  std::string phone_model() const { return model_dir + "/en-us-phone.lm.bin"; }

  // Recognise phones instead of words (PocketSphinx's allphone search with the phonetic
  // language model): transcribe() then returns CMU phones ("hh ah l ow", lowercase, silences
  // and fillers left out). Language-independent enough to check speech the word model cannot
  // (other languages), with the English acoustic model's bias.
  bool phones = false;

  // Throws IoError naming the first file the decoder needs that is not there. Checked before
  // pocketsphinx sees the paths because it exits the process when some of them are missing.
  void validate() const;
};

// One PocketSphinx decoder. Movable, not copyable.
//
// Thread safety: a decoder keeps per-utterance state, so use one SpeechRecognizer per thread;
// separate recognisers may decode concurrently. Loading the model takes about half a second,
// decoding about a third of the audio's duration (one core of this project's 2-core machine).
//
// PocketSphinx logs pages to stderr through one process-wide hook. The first recogniser
// installs a hook that drops its messages (keeping errors for exceptions) and, should the
// library hit a fatal error and exit the process, prints that one reason to stderr.
class SpeechRecognizer {
 public:
  // Throws IoError when a model file is missing ("... install pocketsphinx-en-us"), Error
  // when pocketsphinx refuses the model.
  explicit SpeechRecognizer(const RecognizerConfig& config = {});
  ~SpeechRecognizer();
  SpeechRecognizer(SpeechRecognizer&&) noexcept;
  SpeechRecognizer& operator=(SpeechRecognizer&&) noexcept;
  SpeechRecognizer(const SpeechRecognizer&) = delete;
  SpeechRecognizer& operator=(const SpeechRecognizer&) = delete;

  // The words heard in `wave` (any rate; mono in [-1, 1], louder samples are clipped) decoded
  // as one utterance: lowercase, separated by single spaces, "" when nothing was recognised.
  // Throws InvalidArgument for a non-positive rate or a non-finite sample, Error when
  // pocketsphinx fails. Long recordings should be cut at pauses first: one utterance is
  // decoded in memory as a whole.
  std::string transcribe(const Waveform& wave);

 private:
  std::unique_ptr<PocketSphinxDecoder> decoder_;
  bool phones_ = false;
};

// Word-level edit counts of a hypothesis against a reference, from a minimum-edit (Levenshtein)
// alignment of their words.
struct WordErrors {
  long substitutions = 0;
  long deletions = 0;   // reference words missing from the hypothesis
  long insertions = 0;  // hypothesis words with no reference word
  long reference_words = 0;

  // (S + D + I) / N. With an empty reference N counts as 1: 0 when the hypothesis is empty
  // too, otherwise the number of inserted words (finite, and growing with each one).
  double rate() const;
  // Sums counts, so rate() of a sum is the corpus-level rate (not a mean of per-sentence rates).
  WordErrors& operator+=(const WordErrors& o) {
    substitutions += o.substitutions;
    deletions += o.deletions;
    insertions += o.insertions;
    reference_words += o.reference_words;
    return *this;
  }
};

// Both texts are normalised first: ASCII letters lowercased; ASCII characters other than
// letters, digits and apostrophes are word breaks; an apostrophe stays only between two word
// characters ("don't" is one word, 'quoted' loses its quotes); bytes outside ASCII (UTF-8
// letters) count as word characters, unchanged. Words are what is left between breaks.
// Where several alignments have the fewest edits, each step prefers a match or substitution,
// then a deletion, then an insertion.
WordErrors word_errors(const std::string& reference, const std::string& hypothesis);

// The words of `text` after that normalisation.
std::vector<std::string> normalize_words(const std::string& text);

}  // namespace dubkit
