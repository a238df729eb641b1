#include "text/espeak_engine.hpp"

#include <espeak-ng/espeak_ng.h>
#include <espeak-ng/speak_lib.h>

#include "core/error.hpp"

namespace dubkit {

EspeakEngine& EspeakEngine::instance() {
  static EspeakEngine engine;  // a throw here is retried on the next call
  return engine;
}

EspeakEngine::EspeakEngine() {
  // The legacy initialiser is the only one that turns on phoneme events (with IPA names),
  // which the corpus builder needs for phone timings; phonemization is unaffected.
  const int rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, nullptr,
                                     espeakINITIALIZE_PHONEME_EVENTS | espeakINITIALIZE_PHONEME_IPA);
  if (rate <= 0) throw Error("espeak-ng could not start (is espeak-ng-data installed?)");
  sample_rate_ = rate;
}

EspeakEngine::~EspeakEngine() { espeak_Terminate(); }

}  // namespace dubkit
