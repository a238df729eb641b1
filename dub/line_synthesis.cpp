// The synthesize stage (dub_stages.hpp) and the work directory it keeps lines in.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "audio/io.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "dub/dub_stages.hpp"
#include "provenance/crypto.hpp"

namespace fs = std::filesystem;

namespace dubkit {
namespace {

std::string line_key(const DubLine& d, const LineVoice& v, const std::string& models) {
  std::ostringstream k;
  k.precision(17);
  k << d.text << '\n' << v.lang << '\n' << d.target_seconds << '\n' << v.voice_signature << '\n' << models << '\n' << v.seed;
  return sha256_hex(k.str());
}

// The models' part of the key: the synthesizer's hash and the vocoder's (or its name).
std::string models_key(const DubOptions& o) {
  std::string models = sha256_file_hex(o.synthesizer);
  if (fs::is_regular_file(o.vocoder)) return models + sha256_file_hex(o.vocoder);
  return models + o.vocoder;
}

}  // namespace

void clear_dub_work(const std::string& work) {
  fs::remove_all(work + "/lines");
  fs::remove(work + "/dialogue.wav");
  fs::remove(work + "/mix.wav");
  std::error_code ec;
  if (fs::is_empty(work, ec)) fs::remove(work, ec);
}

Waveform synthesize_lines(DubPlan& plan, const DubOptions& o, const LineVoice& voice, TextToSpeech& tts,
                          const Vocoder& vocoder, const std::string& work, const StageProgressFn& progress) {
  if (!voice.seal) throw InvalidArgument("synthesize lines: no seal for the work files");
  if (!o.resume) clear_dub_work(work);
  fs::create_directories(work + "/lines");
  const std::string models = models_key(o);
  const int rate = tts.sample_rate();
  Waveform dialogue{rate, std::vector<float>(static_cast<std::size_t>(std::lround(plan.video.duration * rate)), 0.f)};
  SayOptions natural;
  natural.lang = voice.lang;
  natural.seed = voice.seed;
  double total_target = 0, done_target = 0;
  for (const DubLine& d : plan.lines) total_target += d.target_seconds;
  for (DubLine& d : plan.lines) {
    char stem[32];
    std::snprintf(stem, sizeof stem, "/lines/%04d", d.index);
    const std::string wav = work + stem + ".wav", keyfile = work + stem + ".key";
    const std::string k = line_key(d, voice, models);
    // The key file: the line's key, then the seal of that key and the WAV's hash.
    const auto sealed = [&] { return k + "\n" + voice.seal(k + "\n" + sha256_file_hex(wav)) + "\n"; };
    Waveform w;
    if (o.resume && fs::is_regular_file(wav) && fs::is_regular_file(keyfile) &&
        read_small_file(keyfile, 256, "resume key") == sealed()) {
      w = read_mono(wav);
      d.resumed = true;
    } else {
      SayOptions so = natural;
      so.durations.total_seconds = d.target_seconds;
      so.durations.min_stretch = 0.01;  // the fit already bounded the stretch
      so.durations.max_stretch = 10;
      w.rate = rate;
      tts.say(d.text, voice.speaker, so, vocoder, [&](const Waveform& piece) {
        w.samples.insert(w.samples.end(), piece.samples.begin(), piece.samples.end());
      });
      // Frames meet the target; samples to within half a frame: made exact here.
      w.samples.resize(static_cast<std::size_t>(std::lround(d.target_seconds * rate)), 0.f);
      write_audio(wav, w);
      write_file_atomic(keyfile, sealed());
    }
    d.achieved_seconds = w.seconds();
    d.speech_start = d.start;
    d.speech_end = d.start + d.achieved_seconds;
    const std::size_t at = static_cast<std::size_t>(std::lround(d.start * rate));
    for (std::size_t j = 0; j < w.samples.size() && at + j < dialogue.samples.size(); ++j) dialogue.samples[at + j] += w.samples[j];
    done_target += d.target_seconds;
    if (progress) progress(done_target / std::max(1e-9, total_target));
  }
  return dialogue;
}

}  // namespace dubkit
