#include "voice/speech_recognizer.hpp"

#include <pocketsphinx.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <utility>

#include "core/error.hpp"
#include "voice/pocketsphinx_decoder.hpp"

namespace dubkit {

namespace {

std::string ascii_lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

}  // namespace

void RecognizerConfig::validate() const {
  const std::string am = acoustic_model();
  // Every file the decoder fails without (noisedict is optional). Without sendump (the mixture
  // weights) pocketsphinx exits the process; without feat.params it misreads the features.
  for (const std::string& path : {am + "/mdef", am + "/feat.params", am + "/means", am + "/variances",
                                  am + "/transition_matrices", am + "/sendump", phones ? phone_model() : language_model(),
                                  dictionary()}) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
      throw IoError("pocketsphinx model not found at '" + path + "': install pocketsphinx-en-us, or set the model "
                    "directory to one laid out like " + kDefaultRecognizerModelDir);
  }
}

SpeechRecognizer::SpeechRecognizer(const RecognizerConfig& config) : phones_(config.phones) {
  // Allphone settings after the CMU Sphinx phoneme recognition notes: wide beams, lw 2.
  if (phones_)
    decoder_ = std::make_unique<PocketSphinxDecoder>(
        config, std::vector<std::string>{"-allphone", config.phone_model(), "-beam", "1e-20", "-pbeam", "1e-20", "-lw", "2.0"});
  else
    decoder_ = std::make_unique<PocketSphinxDecoder>(config, std::vector<std::string>{"-lm", config.language_model()});
}

SpeechRecognizer::~SpeechRecognizer() = default;
SpeechRecognizer::SpeechRecognizer(SpeechRecognizer&&) noexcept = default;
SpeechRecognizer& SpeechRecognizer::operator=(SpeechRecognizer&&) noexcept = default;

std::string SpeechRecognizer::transcribe(const Waveform& wave) {
  if (!decoder_) throw Error("transcribe() on a moved-from SpeechRecognizer");
  if (!decoder_->decode(wave)) return "";
  int32 score = 0;  // not used: a real pointer spares relying on each search's null check
  const char* hyp = ps_get_hyp(decoder_->get(), &score);
  if (!hyp) return "";
  std::vector<std::string> words = normalize_words(hyp);
  if (phones_)  // silence and the noise fillers (+NSN+, +SPN+) are not phones
    words.erase(std::remove_if(words.begin(), words.end(), [](const std::string& w) { return w == "sil" || w == "nsn" || w == "spn"; }),
                words.end());
  return join(words);
}

double WordErrors::rate() const {
  return static_cast<double>(substitutions + deletions + insertions) / static_cast<double>(std::max(reference_words, 1L));
}

std::vector<std::string> normalize_words(const std::string& text) {
  // ASCII letters and digits, and every byte of a multi-byte UTF-8 character.
  const auto word_char = [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x80 || std::isalnum(u);
  };
  std::vector<std::string> words;
  std::string word;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool inner_apostrophe = c == '\'' && !word.empty() && i + 1 < text.size() && word_char(text[i + 1]);
    if (word_char(c) || inner_apostrophe) {
      word += c;
    } else if (!word.empty()) {
      words.push_back(ascii_lower(std::move(word)));
      word.clear();
    }
  }
  if (!word.empty()) words.push_back(ascii_lower(std::move(word)));
  return words;
}

WordErrors word_errors(const std::string& reference, const std::string& hypothesis) {
  const std::vector<std::string> ref = normalize_words(reference), hyp = normalize_words(hypothesis);
  // Edit counts of aligning ref[0, i) with hyp[0, j), one row of i at a time. Ties go to the
  // first candidate in (diagonal, deletion, insertion) order.
  struct Cell {
    long s = 0, d = 0, i = 0;
    long cost() const { return s + d + i; }
  };
  std::vector<Cell> prev(hyp.size() + 1), row(hyp.size() + 1);
  for (std::size_t j = 1; j <= hyp.size(); ++j) prev[j].i = static_cast<long>(j);
  for (std::size_t i = 1; i <= ref.size(); ++i) {
    row[0] = Cell{0, static_cast<long>(i), 0};
    for (std::size_t j = 1; j <= hyp.size(); ++j) {
      Cell best = prev[j - 1];
      best.s += ref[i - 1] != hyp[j - 1];
      Cell del = prev[j];
      ++del.d;
      Cell ins = row[j - 1];
      ++ins.i;
      if (del.cost() < best.cost()) best = del;
      if (ins.cost() < best.cost()) best = ins;
      row[j] = best;
    }
    std::swap(prev, row);
  }
  const Cell& end = prev[hyp.size()];
  return WordErrors{end.s, end.d, end.i, static_cast<long>(ref.size())};
}

}  // namespace dubkit
