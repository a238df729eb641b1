// `dubkit vocoder eval`: analysis-resynthesis of held-out corpus speakers through a vocoder,
// measured with independent tools: PocketSphinx word error rate of the original and of the
// resynthesis (same recogniser, same reference text), mel-cepstral distortion against the
// original (audio/mel_cepstral_distortion.hpp, on the 0-8 kHz band: both resampled to 16 kHz,
// so vocoders of different presets compare), the long-term spectrum's share of 4-10 kHz of the
// original and of the resynthesis (audio/long_term_spectrum.hpp: the bandwidth kept), and the
// same figures for Griffin-Lim on the same files, plus each one's real-time factor. The corpus
// audio is read at the vocoder's rate (corpus_audio_path).
//
// Languages other than English have no PocketSphinx word model here, so they are measured by
// phone error rate instead: PocketSphinx's phone decoder (English acoustic model) hears the
// audio, its CMU phones and the utterance's espeak-ng phonemes are both folded to the aligner's
// phone classes (align/phone_classes.hpp), and the edit distance between the two sequences is
// counted. The English model's bias makes the original's own rate high; the ratio of the
// resynthesis's rate to the original's is the figure that compares vocoders.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

namespace dubkit {

struct VocoderEvalOptions {
  std::string corpus_dir;
  std::string vocoder;               // "griffinlim" or a vocoder file (vocoder/vocoder.hpp)
  std::string split = "test";        // speakers of this split
  std::string lang = "en";           // en: word error rate; others: phone error rate
  int utterances = 40;               // dealt round-robin over the split's speakers
  int griffin_lim_iterations = 32;   // the reference point (say's setting)
  bool recognise = true;             // WER / PER on/off
  std::string keep_audio_dir;        // if set: original, vocoded and Griffin-Lim WAVs go here
  void validate() const;             // throws InvalidArgument naming the field
};

// A JSON report: totals and one row per utterance. `progress(done, total)` after each.
nlohmann::ordered_json evaluate_vocoder(const VocoderEvalOptions& opts, const std::function<void(int, int)>& progress = {});

}  // namespace dubkit
