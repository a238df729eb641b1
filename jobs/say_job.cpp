#include "jobs/say_job.hpp"

#include <cmath>
#include <filesystem>
#include <memory>
#include <optional>

#include "audio/io.hpp"
#include "audio/mel_preset.hpp"
#include "core/error.hpp"
#include "jobs/version.hpp"
#include "synth/synthesizer.hpp"

namespace dubkit {

void SayJobOptions::validate() const {
  if (voice.empty()) throw InvalidArgument("say: --voice is required");
  if (synthesizer.empty()) throw InvalidArgument("say: --synthesizer is required");
  if (vocoder.empty()) throw InvalidArgument("say: --vocoder is required");
  if (!output.empty()) {
    if (std::filesystem::path(output).extension() != ".wav")
      throw InvalidArgument("say: output '" + output + "' must be a .wav (the signed manifest is embedded as a RIFF chunk)");
    check_audio_output(output, mel_preset(synthesizer_mel_preset(synthesizer)).sample_rate, 1);  // fail before the work
  }
}

SayJobReport say_job(const SayJobOptions& o, const std::function<void(const Waveform&)>& on_audio) {
  o.validate();
  RenderGate gate = RenderGate::for_voice(o.voice, o.use, o.say.lang, {}, o.publish);
  if (!o.output.empty()) gate.claim(o.output);
  const AuthorizedVoice& voice = gate.voice();
  TextToSpeech tts(o.synthesizer);
  const std::vector<float> speaker = tts.use_voice(voice.profile());
  const std::unique_ptr<Vocoder> vocoder = open_vocoder(o.vocoder, o.griffin_lim_iterations, tts.preset().name);
  const int rate = tts.sample_rate();
  AudioMarker marker = gate.marker(rate);
  // The marked audio goes to the file as it is made: memory stays flat however long the text
  // (issue 22, item 16).
  std::optional<AudioFileWriter> file;
  if (!o.output.empty()) file.emplace(o.output, rate);
  std::size_t emitted = 0;
  auto emit = [&](const Waveform& marked) {
    if (on_audio) on_audio(marked);
    if (file) file->write(marked.samples.data(), marked.samples.size());
    emitted += marked.samples.size();
  };

  SayJobReport r;
  std::size_t made = 0;
  const std::size_t target =
      o.say.durations.total_seconds > 0 ? static_cast<std::size_t>(std::lround(o.say.durations.total_seconds * rate)) : 0;
  r.speech = tts.say(o.text, speaker, o.say, *vocoder, [&](const Waveform& w) {
    Waveform piece = w;
    // The frames meet a target length; the samples, to less than half a frame: trimmed or
    // padded here, before the mark, so the marked audio is exactly the output.
    if (target && made + piece.samples.size() > target) piece.samples.resize(made < target ? target - made : 0);
    made += piece.samples.size();
    emit(marker.push(piece));
  });
  if (target && made < target) emit(marker.push(Waveform{rate, std::vector<float>(target - made, 0.0f)}));
  if (gate.disclose()) {
    SayOptions notice;
    notice.lang = o.say.lang;
    emit(marker.push(Waveform{rate, std::vector<float>(rate * 3 / 10, 0.0f)}));
    tts.say(disclosure_notice(o.say.lang), speaker, notice, *vocoder, [&](const Waveform& w) { emit(marker.push(w)); });
  }
  emit(marker.finish());

  if (file) {
    file->commit();
    std::vector<std::string> models = {o.synthesizer};
    if (std::filesystem::is_regular_file(o.vocoder)) models.push_back(o.vocoder);
    gate.publish(spoken_audio_manifest(voice, gate.output_id(), o.output, models, software_name("say")), marker.payloads(),
                 "spoken notice", "say");
  }
  r.output_id = gate.output_id();
  r.consent_id = voice.consent().id;
  r.use = voice.use();
  r.voice_name = voice.profile().name;
  r.vocoder_name = vocoder->name();
  r.watermark_payloads = marker.payloads();
  r.seconds = static_cast<double>(emitted) / rate;
  return r;
}

}  // namespace dubkit
