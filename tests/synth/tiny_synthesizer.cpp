#include "synth/tiny_synthesizer.hpp"

#include "synth/synthesizer.hpp"

namespace dubkit::test {

void write_tiny_synthesizer(const std::string& path, const std::set<std::string>& phones,
                            const std::vector<std::string>& languages) {
  const SymbolTable symbols(std::vector<std::string>(phones.begin(), phones.end()));
  SynthesizerConfig c;
  c.n_symbols = static_cast<int>(symbols.size());
  c.n_languages = static_cast<int>(languages.size());
  c.symbol_dim = 16;
  c.encoder_lstm = 8;
  c.speaker_dim = 4;
  c.language_dim = 2;
  c.duration_channels = 8;
  c.prenet = 8;
  c.decoder_lstm = 16;
  c.postnet_channels = 8;
  torch::manual_seed(5);
  Synthesizer m(c);
  save_synthesizer(path, m, symbols, languages, {});
}

}  // namespace dubkit::test
