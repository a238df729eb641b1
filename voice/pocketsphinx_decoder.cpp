#include "voice/pocketsphinx_decoder.hpp"

#include <pocketsphinx.h>
#include <sphinxbase/err.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>

#include "audio/resample.hpp"
#include "core/error.hpp"

namespace dubkit {

namespace {

constexpr int kRate = 16000;  // the en-us acoustic model's rate

// The last error pocketsphinx reported on this thread, for the exception that follows it.
thread_local std::string last_error_text;

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
  last_error_text = text;
  while (!last_error_text.empty() && std::isspace(static_cast<unsigned char>(last_error_text.back())))
    last_error_text.pop_back();
  // pocketsphinx calls exit() right after a fatal message: that one reason must not be lost.
  if (level == ERR_FATAL) std::fprintf(stderr, "pocketsphinx: %s\n", last_error_text.c_str());
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

}  // namespace

void PocketSphinxDecoder::FreeConfig::operator()(cmd_ln_s* c) const { cmd_ln_free_r(c); }
void PocketSphinxDecoder::FreeDecoder::operator()(ps_decoder_s* d) const { ps_free(d); }

std::string PocketSphinxDecoder::last_error() { return last_error_text; }

PocketSphinxDecoder::PocketSphinxDecoder(const RecognizerConfig& config, const std::vector<std::string>& args) {
  config.validate();
  install_log_hook();
  last_error_text.clear();
  std::vector<std::string> all{"-hmm", config.acoustic_model(), "-dict", config.dictionary()};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : all) argv.push_back(a.data());
  config_.reset(cmd_ln_parse_r(nullptr, ps_args(), static_cast<int32>(argv.size()), argv.data(), TRUE));
  if (!config_) throw Error("pocketsphinx refused its configuration: " + last_error_text);
  decoder_.reset(ps_init(config_.get()));
  if (!decoder_)
    throw Error("pocketsphinx could not load the model in '" + config.model_dir + "'" +
                (last_error_text.empty() ? "" : ": " + last_error_text));
}

PocketSphinxDecoder::~PocketSphinxDecoder() = default;

bool PocketSphinxDecoder::decode(const Waveform& wave, double trailing_silence) {
  if (wave.rate <= 0) throw InvalidArgument("decode: sample rate must be positive, got " + std::to_string(wave.rate));
  for (std::size_t i = 0; i < wave.samples.size(); ++i)
    if (!std::isfinite(wave.samples[i]))
      throw InvalidArgument("decode: non-finite sample (NaN or Inf) at " + std::to_string(i));
  if (wave.samples.empty()) return false;

  const Waveform w = resample(wave, kRate);
  std::vector<int16_t> pcm(w.samples.size() + static_cast<std::size_t>(std::max(0.0, trailing_silence) * kRate), 0);
  std::transform(w.samples.begin(), w.samples.end(), pcm.begin(), [](float x) {
    return static_cast<int16_t>(std::lround(std::clamp(x, -1.0f, 1.0f) * 32767.0f));
  });
  ps_decoder_t* ps = decoder_.get();
  last_error_text.clear();
  if (ps_start_utt(ps) < 0) throw Error("pocketsphinx could not start an utterance: " + last_error_text);
  // full_utt: the whole utterance at once lets cepstral mean normalisation use all of it.
  const bool processed = ps_process_raw(ps, pcm.data(), pcm.size(), FALSE, TRUE) >= 0;
  if (ps_end_utt(ps) < 0 || !processed) throw Error("pocketsphinx failed to decode: " + last_error_text);
  return true;
}

}  // namespace dubkit
