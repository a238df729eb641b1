// Text -> speech in a voice: sentences -> phones (front_end) -> durations (predicted, then
// controlled: durations.hpp) -> mel (synthesizer) -> waveform (any vocoder of the synthesizer's
// mel preset: vocoder/vocoder.hpp), one sentence at a time, so the first sentence can play while
// the rest is still being made.
//
// Not thread-safe: one TextToSpeech per thread. Audio is mono at the preset's rate (16 kHz for
// wav2lip-16k synthesizers, 22.05 kHz for dubkit-22k ones: sample_rate()).
//
// An unpublished building block: its audio carries no watermark, no signed manifest and no
// render-log entry, and it checks no consent. Published speech comes from the say job
// (jobs/say_job.hpp) or the dub job, which pass through the render gate (jobs/render_gate.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "audio/features.hpp"
#include "audio/waveform.hpp"
#include "synth/durations.hpp"
#include "vocoder/vocoder.hpp"
#include "voice/voice_profile.hpp"

namespace dubkit {

struct SayOptions {
  std::string lang = "en";      // a language of the synthesizer (its file lists them)
  // total_seconds applies to the whole text: every sentence is stretched by the same factor.
  // phone_seconds indexes the phones of a single-sentence text (see SentencePlan::phones).
  DurationControls durations;
  std::uint64_t seed = 0;       // prenet dropout masks: same seed, same mel
};

struct SentencePlan {
  std::string text;                      // normalised, as spoken
  std::vector<std::string> phones;       // IPA, "_" for pauses
  std::vector<std::int64_t> ids;         // the phones in the synthesizer's symbol table
  std::vector<double> predicted_frames;  // the duration predictor's output per phone
  DurationPlan durations;                // what will be used
};

struct SayReport {
  std::vector<SentencePlan> sentences;
  double seconds = 0;               // audio produced
  double first_audio_seconds = 0;   // wall time from the call to the first on_audio
  double wall_seconds = 0;
};

class TextToSpeech {
 public:
  // Throws what load_synthesizer throws.
  explicit TextToSpeech(const std::string& synthesizer_path);
  ~TextToSpeech();
  TextToSpeech(const TextToSpeech&) = delete;
  TextToSpeech& operator=(const TextToSpeech&) = delete;

  const std::vector<std::string>& languages() const;
  // File name of the speaker encoder whose embeddings the synthesizer was trained on ("" when
  // the file does not say); profiles made with another encoder do not fit it.
  std::string encoder() const;
  int speaker_dim() const;
  // Fits a voice profile to this synthesizer and returns the embedding to condition on. The
  // profile must come from the synthesizer's encoder; an adapted profile (voice adapt) must have
  // been made for this very file (same SHA-256), and its speaker adapter then shapes everything
  // this object makes until the next use_voice. Throws InvalidArgument naming both sides.
  std::vector<float> use_voice(const VoiceProfile& profile);
  // The synthesizer's mel preset, its audio rate (Hz) and mel frames per second.
  const MelPreset& preset() const;
  int sample_rate() const;
  double frames_per_second() const;

  // Phones and durations of every sentence (no decoding: cheap). Throws InvalidArgument for
  // empty text, a language the model does not know, a phone it has no symbol for, a speaker
  // embedding of the wrong size, or durations the controls cannot meet.
  std::vector<SentencePlan> plan(const std::string& text, const std::vector<float>& speaker, const SayOptions& opts);
  // The mel [n_mels, durations.total_frames] of one planned sentence, in preset(); `index`
  // varies the seed between sentences.
  FeatureMatrix mel(const SentencePlan& sentence, const std::vector<float>& speaker, const SayOptions& opts,
                    std::size_t index);
  // Plans each sentence, then makes its audio (exactly total_frames * hop samples) through
  // `vocoder` and hands it over as soon as it exists (Griffin-Lim: in pieces of about a
  // second). Throws InvalidArgument when the vocoder does not take preset()'s mels.
  SayReport say(const std::string& text, const std::vector<float>& speaker, const SayOptions& opts,
                const Vocoder& vocoder, const std::function<void(const Waveform&)>& on_audio);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dubkit
