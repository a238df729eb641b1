// dubkit say
#include <cmath>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>

#include "audio/devices.hpp"
#include "audio/io.hpp"
#include "core/error.hpp"
#include "synth/tts.hpp"
#include "tools/commands.hpp"
#include "voice/voice_profile.hpp"

namespace dubkit::cli {

namespace {

// "INDEX=SECONDS" -> (index, seconds); throws InvalidArgument naming the flag and value.
std::pair<std::size_t, double> parse_phone_duration(const std::string& v) {
  const std::size_t eq = v.find('=');
  try {
    if (eq == std::string::npos) throw std::invalid_argument("no '='");
    std::size_t used = 0;
    const long index = std::stol(v.substr(0, eq), &used);
    if (used != eq || index < 0) throw std::invalid_argument("index");
    const std::string sec = v.substr(eq + 1);
    const double seconds = std::stod(sec, &used);
    if (used != sec.size()) throw std::invalid_argument("seconds");
    return {static_cast<std::size_t>(index), seconds};
  } catch (const std::logic_error&) {
    throw InvalidArgument("--phone-duration '" + v + "' must be INDEX=SECONDS, e.g. 3=0.12");
  }
}

}  // namespace

void register_say(CLI::App& app) {
  struct Opts {
    std::string voice, text, synthesizer, out, vocoder = "default";
    int griffin_lim_iterations = 32;
    SayOptions say;
    double duration = std::nan("");  // not given
    std::vector<std::string> phone_durations;
    bool play = false, json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("say", "Speak text in a voice profile's voice (sentence by sentence, streaming with --play)");
  cmd->add_option("--voice", o->voice, "Voice profile (.voice, from dubkit voice enroll)")->required();
  cmd->add_option("--text", o->text, "Text to speak; - reads it from stdin")->required();
  cmd->add_option("--lang", o->say.lang, "Language of the text (one of the synthesizer's)")->capture_default_str();
  cmd->add_option("--rate", o->say.durations.rate, "Speaking rate (1.25 = 25% faster)")->capture_default_str();
  cmd->add_option("--duration", o->duration, "Make the whole text last exactly this many seconds");
  cmd->add_option("--phone-duration", o->phone_durations,
                  "Fix one phone's duration: INDEX=SECONDS (indices as --json lists them; one-sentence text)");
  cmd->add_option("--max-stretch", o->say.durations.max_stretch, "Longest allowed stretch of natural durations")
      ->capture_default_str();
  cmd->add_option("--min-stretch", o->say.durations.min_stretch, "Shortest allowed stretch")->capture_default_str();
  cmd->add_option("-o,--output", o->out, "Output audio (.wav, .flac, .ogg), 16 kHz");
  cmd->add_flag("--play", o->play, "Play while synthesising (first sentence starts before the rest is done)");
  cmd->add_option("--synthesizer", o->synthesizer, std::string("Synthesizer (default: models/") + kDefaultSynthesizer + ")");
  cmd->add_option("--seed", o->say.seed, "Seed of the prenet dropout (same seed, same audio)")->capture_default_str();
  cmd->add_option("--vocoder", o->vocoder, std::string("Vocoder: default (models/") + kDefaultVocoder + "), griffinlim, or a file")
      ->capture_default_str();
  cmd->add_option("--griffin-lim-iterations", o->griffin_lim_iterations, "Griffin-Lim iterations (--vocoder griffinlim)")
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "Print sentences, phones, durations and timings as JSON");
  cmd->footer("Example: dubkit say --voice actor.voice --text \"Good morning. How are you today?\" -o hello.wav\n"
              "         echo \"Buenos días.\" | dubkit say --voice actor.voice --lang es --text - --duration 1.5 -o es.wav");
  cmd->callback([o] {
    if (o->out.empty() && !o->play) throw InvalidArgument("say: give -o FILE, --play, or both");
    if (o->out.size()) check_audio_output(o->out, TextToSpeech::kSampleRate, 1);  // fail before the work
    if (o->text == "-") o->text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    if (!std::isnan(o->duration)) {
      if (!(o->duration > 0)) throw InvalidArgument("--duration " + std::to_string(o->duration) + " must be positive");
      o->say.durations.total_seconds = o->duration;
    }
    for (const std::string& v : o->phone_durations) o->say.durations.phone_seconds.insert(parse_phone_duration(v));
    const VoiceProfile profile = read_voice_profile(o->voice);
    if (!profile.consent_verified)
      std::fprintf(stderr, "dubkit: note: voice '%s' was enrolled under consent '%s', which this build cannot verify yet\n",
                   profile.name.c_str(), profile.consent_reference.c_str());
    TextToSpeech tts(model_path(o->synthesizer, kDefaultSynthesizer, "--synthesizer"));
    if (!tts.encoder().empty() && tts.encoder() != profile.encoder)
      throw InvalidArgument(o->voice + " was made with the encoder '" + profile.encoder + "', the synthesizer expects '" +
                            tts.encoder() + "': enroll the voice again with that encoder");
    const std::unique_ptr<Vocoder> vocoder = open_vocoder(vocoder_spec(o->vocoder), o->griffin_lim_iterations);
    std::optional<PlaybackStream> player;
    if (o->play) player.emplace(TextToSpeech::kSampleRate);
    Waveform all;
    all.rate = TextToSpeech::kSampleRate;
    const SayReport r = tts.say(o->text, profile.embedding, o->say, *vocoder, [&](const Waveform& w) {
      if (player) player->write(w.samples);
      all.samples.insert(all.samples.end(), w.samples.begin(), w.samples.end());
    });
    if (player) player->finish();
    if (o->say.durations.total_seconds > 0)  // the frames meet the target; the samples, to less than half a frame
      all.samples.resize(static_cast<std::size_t>(std::lround(o->say.durations.total_seconds * all.rate)), 0.0f);
    if (o->out.size()) write_audio(o->out, all);
    if (o->json) {
      nlohmann::ordered_json sentences = nlohmann::ordered_json::array();
      std::size_t first = 0;
      for (const SentencePlan& s : r.sentences) {
        nlohmann::ordered_json phones = nlohmann::ordered_json::array();
        for (std::size_t i = 0; i < s.phones.size(); ++i)
          phones.push_back({{"index", first + i}, {"phone", s.phones[i]}, {"seconds", s.durations.frames[i] / TextToSpeech::kFramesPerSecond}});
        first += s.phones.size();
        sentences.push_back({{"text", s.text}, {"seconds", s.durations.seconds}, {"stretch", s.durations.stretch}, {"phones", phones}});
      }
      print_json({{"output", o->out}, {"voice", profile.name}, {"vocoder", vocoder->name()}, {"consent", profile.consent_reference},
                  {"consent_verified", profile.consent_verified}, {"seconds", double(all.samples.size()) / all.rate},
                  {"first_audio_seconds", r.first_audio_seconds}, {"wall_seconds", r.wall_seconds},
                  {"sentences", sentences}});
      return;
    }
    std::printf("%zu sentence(s), %.2f s of audio in %.2f s (first audio after %.3f s)%s%s\n", r.sentences.size(),
                double(all.samples.size()) / all.rate, r.wall_seconds, r.first_audio_seconds, o->out.empty() ? "" : " -> ",
                o->out.c_str());
  });
}

}  // namespace dubkit::cli
