// `dubkit vocoder eval`: analysis-resynthesis of held-out corpus speakers through a vocoder,
// measured with independent tools: PocketSphinx word error rate of the original and of the
// resynthesis (same recogniser, same reference text), mel-cepstral distortion against the
// original (audio/mel_cepstral_distortion.hpp), and the same figures for Griffin-Lim on the same
// files, plus each one's real-time factor.
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
  std::string lang = "en";           // WER needs PocketSphinx's English model
  int utterances = 40;               // dealt round-robin over the split's speakers
  int griffin_lim_iterations = 32;   // the reference point (say's setting)
  bool recognise = true;             // WER on/off
  std::string keep_audio_dir;        // if set: original, vocoded and Griffin-Lim WAVs go here
  void validate() const;             // throws InvalidArgument naming the field
};

// A JSON report: totals and one row per utterance. `progress(done, total)` after each.
nlohmann::ordered_json evaluate_vocoder(const VocoderEvalOptions& opts, const std::function<void(int, int)>& progress = {});

}  // namespace dubkit
