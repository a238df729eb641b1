// The say job: text spoken in a consented voice, published. The render gate (render_gate.hpp)
// re-checks the voice's consent for the use and language before any work; the speech is made
// sentence by sentence (synth/tts.hpp), marked in one-second blocks as it comes, followed by
// the spoken disclosure in the same voice (after the text, so a fitted line still fills its
// slot exactly), then written, signed and logged.
//
// One job at a time per process (LibTorch's thread settings are global).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "audio/waveform.hpp"
#include "jobs/render_gate.hpp"
#include "synth/tts.hpp"

namespace dubkit {

struct SayJobOptions {
  std::string voice;             // voice profile (.voice)
  std::string text;
  SayOptions say;                // language, duration controls, seed
  std::string synthesizer;       // synthesizer file
  std::string vocoder;           // vocoder file or "griffinlim" (vocoder/vocoder.hpp open_vocoder)
  int griffin_lim_iterations = 32;
  std::string output;            // .wav, 16 kHz mono; "" = not written (the audio only goes to on_audio)
  std::string use = "dubbing";   // what the speech is for; the voice's consent must cover it
  PublishOptions publish;
  void validate() const;         // throws InvalidArgument naming the flag
};

struct SayJobReport {
  SayReport speech;              // sentences, phones, durations, timings of the text (not the notice)
  std::string output_id, consent_id, use, voice_name, vocoder_name;
  std::vector<std::uint32_t> watermark_payloads;
  double seconds = 0;            // of the output, notice included
};

// `on_audio` gets the marked audio in order, as it is made (one block behind the synthesis),
// e.g. to play it. Throws ConsentRefused before any work, InvalidArgument (options, a profile
// made with another encoder than the synthesizer's), what the synthesis and signing throw.
SayJobReport say_job(const SayJobOptions& o, const std::function<void(const Waveform&)>& on_audio = {});

}  // namespace dubkit
