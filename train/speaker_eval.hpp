// Speaker-verification evaluation on a corpus split: each chosen utterance is cut to a
// `seconds`-long piece of its speech (VAD first, then a seeded offset; utterances shorter than
// that, such as single words, are joined with the speaker's next ones until they are long
// enough), embedded through the same path users take (embed_wave), and every pair of pieces
// is a trial: same speaker or not. Two speakers of one group (speakers.json's "group", a real
// corpus's unit of splitting) may be one person: their pairs are no trial either way.
// Reports the equal error rate and its threshold.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "corpus/manifest.hpp"
#include "voice/speaker_encoder.hpp"
#include "voice/verification.hpp"

namespace dubkit {

struct SpeakerEvalOptions {
  std::string split = "test";  // corpus split whose speakers are used
  double seconds = 2.0;        // speech per trial utterance
  int per_speaker = 10;        // utterances per speaker (fewer when a speaker has fewer)
  std::uint64_t seed = 1;
  std::string lang;            // only this language when not empty
  std::string base_voice;      // only this base voice (a real corpus: this source) when not empty
  double min_minutes = 0;      // only speakers with at least this much audio in the split
};

struct SpeakerEvalResult {
  EerResult eer;
  std::vector<double> same, different;  // trial scores (cosine similarities)
  // Error rates when judging "same" at score >= threshold.
  double false_accept_rate(double threshold) const;
  double false_reject_rate(double threshold) const;
  int speakers = 0;
  int utterances = 0;
};

// Throws InvalidArgument when the split has fewer than two speakers with usable utterances.
SpeakerEvalResult evaluate_speakers(SpeakerEncoder& encoder, const std::string& corpus_dir,
                                    const std::vector<CorpusUtterance>& manifest, const SpeakerEvalOptions& opts);

// The same on labelled recordings outside a corpus: each subdirectory of `dir` is one speaker
// and holds audio files (any format libsndfile reads); files are VAD-trimmed and joined in
// name order into `seconds`-long pieces (so short words can make a trial). `split` and `lang`
// are ignored.
SpeakerEvalResult evaluate_speaker_dirs(SpeakerEncoder& encoder, const std::string& dir, const SpeakerEvalOptions& opts);

}  // namespace dubkit
