// espeak-ng's process-wide engine, shared by the phonemizer and the corpus synthesiser.
// espeak-ng keeps global state (current voice, parameters, callback), so every use must hold
// the lock for its whole sequence of calls.
#pragma once

#include <mutex>

namespace dubkit {

class EspeakEngine {
 public:
  // Starts espeak-ng on first use (synchronous output at 22050 Hz, phoneme events as IPA).
  // Throws Error when espeak-ng cannot start (its data missing); a later call retries.
  static EspeakEngine& instance();
  std::mutex& mutex() { return mutex_; }
  int sample_rate() const { return sample_rate_; }
  ~EspeakEngine();
  EspeakEngine(const EspeakEngine&) = delete;
  EspeakEngine& operator=(const EspeakEngine&) = delete;

 private:
  EspeakEngine();
  std::mutex mutex_;
  int sample_rate_ = 0;
};

}  // namespace dubkit
