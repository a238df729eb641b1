#include "voice/speech_recognizer.hpp"

#include <pocketsphinx.h>
#include <sphinxbase/err.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <utility>

#include "audio/resample.hpp"
#include "core/error.hpp"

namespace dubkit {

namespace {

constexpr int kRate = 16000;  // the en-us acoustic model's rate

// The last error pocketsphinx reported on this thread, for the exception that follows it.
thread_local std::string last_error;

// Replaces pocketsphinx's logging (pages of configuration and search statistics on stderr).
// Not pocketsphinx's own "-logfn": every decoder made with it would fopen a new process-wide log
// and fclose the previous one, under the feet of decoders logging in other threads.
void log_hook(void*, err_lvl_t level, const char* fmt, ...) {
  if (level != ERR_ERROR && level != ERR_FATAL) return;
  char text[1024];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(text, sizeof text, fmt, args);
  va_end(args);
  last_error = text;
  while (!last_error.empty() && std::isspace(static_cast<unsigned char>(last_error.back()))) last_error.pop_back();
  // pocketsphinx calls exit() right after a fatal message: that one reason must not be lost.
  if (level == ERR_FATAL) std::fprintf(stderr, "pocketsphinx: %s\n", last_error.c_str());
}

void install_log_hook() {
  static const bool installed = [] {
    err_set_callback(log_hook, nullptr);
    // The configuration table is printed to the log file directly, not through the hook.
    err_set_logfp(nullptr);
    return true;
  }();
  (void)installed;
}

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

void SpeechRecognizer::FreeConfig::operator()(cmd_ln_s* c) const { cmd_ln_free_r(c); }
void SpeechRecognizer::FreeDecoder::operator()(ps_decoder_s* d) const { ps_free(d); }

SpeechRecognizer::SpeechRecognizer(const RecognizerConfig& config) {
  config.validate();
  install_log_hook();
  const std::string hmm = config.acoustic_model(), lm = config.language_model(), dict = config.dictionary();
  last_error.clear();
  const std::string phone_lm = config.phone_model();
  phones_ = config.phones;
  // Allphone settings after the CMU Sphinx phoneme recognition notes: wide beams, lw 2.
  if (phones_)
    config_.reset(cmd_ln_init(nullptr, ps_args(), TRUE, "-hmm", hmm.c_str(), "-allphone", phone_lm.c_str(), "-dict",
                              dict.c_str(), "-beam", "1e-20", "-pbeam", "1e-20", "-lw", "2.0",
                              static_cast<const char*>(nullptr)));
  else
    config_.reset(cmd_ln_init(nullptr, ps_args(), TRUE, "-hmm", hmm.c_str(), "-lm", lm.c_str(), "-dict",
                              dict.c_str(), static_cast<const char*>(nullptr)));
  if (!config_) throw Error("pocketsphinx refused its configuration: " + last_error);
  decoder_.reset(ps_init(config_.get()));
  if (!decoder_)
    throw Error("pocketsphinx could not load the model in '" + config.model_dir + "'" +
                (last_error.empty() ? "" : ": " + last_error));
}

SpeechRecognizer::~SpeechRecognizer() = default;
SpeechRecognizer::SpeechRecognizer(SpeechRecognizer&&) noexcept = default;
SpeechRecognizer& SpeechRecognizer::operator=(SpeechRecognizer&&) noexcept = default;

std::string SpeechRecognizer::transcribe(const Waveform& wave) {
  if (!decoder_) throw Error("transcribe() on a moved-from SpeechRecognizer");
  if (wave.rate <= 0) throw InvalidArgument("transcribe: sample rate must be positive, got " + std::to_string(wave.rate));
  for (std::size_t i = 0; i < wave.samples.size(); ++i)
    if (!std::isfinite(wave.samples[i]))
      throw InvalidArgument("transcribe: non-finite sample (NaN or Inf) at " + std::to_string(i));
  if (wave.samples.empty()) return "";

  const Waveform w = resample(wave, kRate);
  std::vector<int16_t> pcm(w.samples.size());
  std::transform(w.samples.begin(), w.samples.end(), pcm.begin(), [](float x) {
    return static_cast<int16_t>(std::lround(std::clamp(x, -1.0f, 1.0f) * 32767.0f));
  });

  ps_decoder_t* ps = decoder_.get();
  last_error.clear();
  if (ps_start_utt(ps) < 0) throw Error("pocketsphinx could not start an utterance: " + last_error);
  // full_utt: the whole utterance at once lets cepstral mean normalisation use all of it.
  const bool processed = ps_process_raw(ps, pcm.data(), pcm.size(), FALSE, TRUE) >= 0;
  if (ps_end_utt(ps) < 0 || !processed) throw Error("pocketsphinx failed to decode: " + last_error);
  int32 score = 0;  // not used: a real pointer spares relying on each search's null check
  const char* hyp = ps_get_hyp(ps, &score);
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
