// The voice adapt job: a signed voice profile fine-tuned on the performer's own recordings.
//
//   1. inputs    recordings and their transcripts (adaptation_inputs.hpp), checked first
//   2. consent   provenance/adaptation_consent.hpp: the record covers adaptation and the
//                language, the recordings are the consenting performer's and the profile's
//                voice; a refusal costs no learning
//   3. learn     train/voice_adaptation.hpp, resumable from the work folder
//   4. sign      the profile with the adapter, the base synthesizer's name and SHA-256 and the
//                recordings' hashes, signed by the studio key, written atomically
//
// The adapted profile is used by `say` and `dub` like any other; a synthesizer file other than
// the one it was made for refuses it (synth/tts.hpp TextToSpeech::use_voice).
// One job at a time per process (LibTorch's thread settings are global).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "train/voice_adaptation.hpp"
#include "voice/voice_profile.hpp"

namespace dubkit {

struct VoiceAdaptJobOptions {
  std::string profile;                 // the voice to adapt (.voice)
  std::vector<std::string> audio;      // recordings: files or folders
  std::string script;                  // SRT/WebVTT timed to the one recording, or ""
  std::string transcripts;             // folder of NAME.txt, or "" (NAME.txt beside each recording)
  std::string consent;                 // the consent record that allows adaptation
  std::string output;                  // the adapted profile (.voice)
  std::string encoder, key, trust_dir; // speaker encoder, studio key, trust store
  VoiceAdaptOptions adapt;             // synthesizer, aligner, lang, steps...; clips, embedding and
                                       // work_dir (default: OUTPUT.work) are filled in by the job
  void validate() const;               // throws InvalidArgument naming the flag
};

struct VoiceAdaptJobReport {
  VoiceAdaptReport adaptation;
  VoiceProfile profile;                // as written
  std::vector<double> similarities;    // each recording against the profile's embedding
  double threshold = 0;                // the encoder's same-speaker threshold
};

// `progress(step, total, loss)` while learning. Throws InvalidArgument, ConsentRefused,
// FormatError, IoError (nothing is written then); the work folder is kept for a resume when
// learning is interrupted and removed once the profile is written.
VoiceAdaptJobReport voice_adapt_job(const VoiceAdaptJobOptions& o, const std::function<void(long, long, double)>& progress = {});

}  // namespace dubkit
