// One PocketSphinx decoder, shared by the recogniser (speech_recognizer.hpp) and the keyword
// spotter (keyword_spotter.hpp). Internal to dubkit::voice: its users see neither pocketsphinx
// nor this header.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "audio/waveform.hpp"
#include "voice/speech_recognizer.hpp"

struct ps_decoder_s;  // pocketsphinx's ps_decoder_t
struct cmd_ln_s;      // sphinxbase's cmd_ln_t

namespace dubkit {

class PocketSphinxDecoder {
 public:
  // The model of `config` (validated first: pocketsphinx exits the process on some missing
  // files) with `args` ("-name", "value", ... pairs) added. Throws what config.validate()
  // throws, Error when pocketsphinx refuses the configuration or the model.
  PocketSphinxDecoder(const RecognizerConfig& config, const std::vector<std::string>& args);
  ~PocketSphinxDecoder();
  PocketSphinxDecoder(const PocketSphinxDecoder&) = delete;
  PocketSphinxDecoder& operator=(const PocketSphinxDecoder&) = delete;

  ps_decoder_s* get() const { return decoder_.get(); }

  // Decodes `wave` (any rate; mono in [-1, 1], louder samples are clipped) as one utterance
  // with the active search, followed by `trailing_silence` seconds of silence. Returns false
  // for empty audio (nothing decoded). Throws InvalidArgument for a non-positive rate or a
  // non-finite sample, Error when pocketsphinx fails.
  bool decode(const Waveform& wave, double trailing_silence = 0);

  // The last error pocketsphinx reported on this thread ("" when none since the last call).
  static std::string last_error();

 private:
  struct FreeConfig {
    void operator()(cmd_ln_s* c) const;
  };
  struct FreeDecoder {
    void operator()(ps_decoder_s* d) const;
  };
  // Declared first, so destroyed after the decoder that was made from it.
  std::unique_ptr<cmd_ln_s, FreeConfig> config_;
  std::unique_ptr<ps_decoder_s, FreeDecoder> decoder_;
};

}  // namespace dubkit
