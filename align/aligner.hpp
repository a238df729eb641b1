// Phone alignment of speech: 16 kHz mono audio and its phone sequence (IPA, "_" = pause) ->
// each phone's start and end time.
//
// The acoustic model (aligner_model.hpp) gives per-frame log-posteriors over the phone classes
// every IPA symbol folds to (phone_classes.hpp), so any language espeak-ng speaks can be
// aligned; Viterbi (forced_align.hpp) then places the given sequence on them, scored by
// log-posterior - prior_scale * log-prior.
//
// Time convention (10 ms frames, frame t centred on t * 10 ms): the boundary between frames b-1
// and b is at (b - 0.5) * 10 ms, clamped to the audio; a phone that gets no frames (an
// optional pause) has start == end. A corpus phone labels the frames whose centres it covers.
//
// Thread safety: an Aligner is immutable after construction; align() and log_posteriors() may
// run on several threads at once (inference only, no grad).
#pragma once

#include <limits>
#include <string>
#include <vector>

#include "align/aligner_model.hpp"
#include "align/forced_align.hpp"
#include "corpus/engines.hpp"

namespace dubkit {

// The prior weight used when neither the caller nor the model file gives one.
inline constexpr double kDefaultPriorScale = 0.3;

struct AlignOptions {
  // Weight of the log-prior subtracted from the log-posteriors, >= 0. NaN: the model file's
  // calibrated dubkit.prior_scale, else kDefaultPriorScale.
  double prior_scale = std::numeric_limits<double>::quiet_NaN();
  // Pause-class phones ("_", word spaces, punctuation) may take zero frames: a transcript's
  // pause is not always spoken.
  bool optional_pauses = true;
  // Silence before the first / after the last phone that the sequence does not name is allowed
  // (not part of any phone): the first phone then starts where the speech does.
  bool edge_silence = true;
};

// An alignment and how well the audio supports it. cost: the mean over the audio's frames of
// (the best class's log-posterior - the aligned phone's), in nats per frame: near 0 where the
// network hears what the transcript says; a transcript of other words forces phones onto
// frames that sound like something else, and the cost grows several-fold (models/aligner.md
// gives the figures of matched and mismatched transcripts).
struct ScoredAlignment {
  std::vector<PhoneSpan> phones;
  double cost = 0;
};

class Aligner {
 public:
  // Loads a model file (load_aligner_model). Throws as it does.
  explicit Aligner(const std::string& model_path);
  // A model in memory (the trainer's), switched to eval mode. prior_scale NaN: kDefaultPriorScale.
  Aligner(AlignerNet model, double prior_scale);

  double prior_scale() const { return prior_scale_; }
  const std::string& source() const { return source_; }

  // Per-frame log-posteriors [T, n_classes], T = 1 + samples / 160. Throws InvalidArgument for
  // audio not at 16 kHz, FormatError for audio shorter than 25 ms.
  FrameScores log_posteriors(const Waveform& wave16k) const;

  // One span per phone, in order, covering the audio (with edge_silence, from the first
  // phone's start to the last one's end). Throws InvalidArgument for audio not at 16 kHz, an
  // empty sequence, or fewer 10 ms frames than phones that must take one.
  std::vector<PhoneSpan> align(const Waveform& wave16k, const std::vector<std::string>& phones,
                               const AlignOptions& options = {}) const;

  // The same from log_posteriors() of audio lasting `seconds` (several prior scales can then
  // share one pass of the network).
  std::vector<PhoneSpan> align_posteriors(const FrameScores& log_posteriors, double seconds,
                                          const std::vector<std::string>& phones, const AlignOptions& options = {}) const;

  // align_posteriors() with the alignment's cost.
  ScoredAlignment align_scored(const FrameScores& log_posteriors, double seconds, const std::vector<std::string>& phones,
                               const AlignOptions& options = {}) const;

 private:
  mutable AlignerNet model_{nullptr};  // forward() is not const in LibTorch; inference changes nothing
  std::vector<float> log_prior_;
  double prior_scale_ = kDefaultPriorScale;
  std::string source_;
};

// Frame spans -> times in seconds by the convention above; `phones` names them.
std::vector<PhoneSpan> frame_spans_to_times(const std::vector<FrameSpan>& spans, const std::vector<std::string>& phones,
                                            double seconds);

// The class of each of `frames` 10 ms frames from a corpus segmentation: the class of the phone
// covering the frame's centre; frames past the last phone take the pause class.
std::vector<int> frame_class_labels(const std::vector<PhoneSpan>& phones, int frames);

// Reads any audio file (mixed to mono, resampled to 16 kHz) and aligns `phones` to it. Throws
// as read_mono and Aligner::align.
ScoredAlignment align_file(const Aligner& aligner, const std::string& path, const std::vector<std::string>& phones,
                                  const AlignOptions& options = {});

// The phones espeak-ng speaks for `text` in `lang` (a corpus code such as "en" or an espeak-ng
// voice such as "ru"), ready to align (alignable_phones). Throws InvalidArgument for empty
// text or an unknown language.
std::vector<std::string> phones_for_text(const std::string& text, const std::string& lang);

// A phone sequence for the aligner from split_ipa / phonemize symbols: stress marks, length
// marks on their own and word spaces dropped, clause punctuation kept as "_" (one per run).
std::vector<std::string> alignable_phones(const std::vector<std::string>& symbols);

}  // namespace dubkit
