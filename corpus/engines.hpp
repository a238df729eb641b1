// The speech synthesisers the corpus is made from, called through their C libraries so that
// each utterance comes with the engine's own phone segmentation:
//   flite     cmu_us_slt, cmu_us_awb, cmu_us_rms, cmu_us_kal16 (English; libflite)
//   espeak-ng a language voice plus a voice variant ("es+m3"; libespeak-ng), any language
// Phones are reported in IPA (flite's US phone set is mapped; espeak-ng reports IPA) with "_"
// for a pause.
//
// Thread safety and determinism: both engines keep global state and draw noise from rand();
// speak() holds one process-wide lock (espeak-ng's, which the phonemizer also takes) and seeds
// rand() per call; espeak-ng synthesises in a forked child, because its wave generator carries
// state from one call to the next. So speak() may be called from several threads and its
// result depends only on (voice, text, seed).
#pragma once

#include <string>
#include <vector>

#include "audio/waveform.hpp"

namespace dubkit {

struct PhoneSpan {
  std::string phone;  // IPA, "_" for a pause
  double start = 0;   // seconds from the utterance start
  double end = 0;
};

struct BaseVoice {
  std::string id;       // stable, file-name safe: "flite-slt", "espeak-es-m3"
  std::string engine;   // "flite" or "espeak"
  std::string name;     // flite voice name, or espeak voice "es+m3"
  std::string lang;     // corpus language: "en", "es", "de"
};

struct SpokenUtterance {
  Waveform wave;                 // mono, at the engine's own rate
  std::vector<PhoneSpan> phones; // in time order, covering the waveform
};

// The base voices for the given languages, in a fixed order (deterministic).
std::vector<BaseVoice> base_voices(const std::vector<std::string>& langs);

// Synthesises `text` (already normalised) with `voice`; `seed` fixes the engines' noise.
// Throws InvalidArgument for an unknown voice, Error when the engine fails or returns no audio.
SpokenUtterance speak(const BaseVoice& voice, const std::string& text, unsigned seed);

// Maps one flite US English phone ("aa", "hh", "pau", ...) to IPA; throws InvalidArgument
// for a name outside the phone set.
std::string flite_phone_to_ipa(const std::string& phone);

}  // namespace dubkit
