// dubkit say
#include <cmath>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>

#include "audio/devices.hpp"
#include "audio/mel_preset.hpp"
#include "core/error.hpp"
#include "jobs/say_job.hpp"
#include "synth/synthesizer.hpp"
#include "tools/commands.hpp"

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
    SayJobOptions job;
    std::string synthesizer, vocoder = "default";
    double duration = std::nan("");  // not given
    std::vector<std::string> phone_durations;
    bool no_disclosure = false, play = false, json = false;
  };
  auto o = std::make_shared<Opts>();
  o->job.publish = PublishOptions::defaults();
  SayOptions& say = o->job.say;
  PublishOptions& publish = o->job.publish;
  auto* cmd = app.add_subcommand("say", "Speak text in a voice profile's voice (sentence by sentence, streaming with --play)");
  cmd->add_option("--voice", o->job.voice, "Voice profile (.voice, from dubkit voice enroll)")->required();
  cmd->add_option("--text", o->job.text, "Text to speak; - reads it from stdin")->required();
  cmd->add_option("--lang", say.lang, "Language of the text (one of the synthesizer's)")->capture_default_str();
  cmd->add_option("--rate", say.durations.rate, "Speaking rate (1.25 = 25% faster)")->capture_default_str();
  cmd->add_option("--duration", o->duration, "Make the whole text last exactly this many seconds");
  cmd->add_option("--phone-duration", o->phone_durations,
                  "Fix one phone's duration: INDEX=SECONDS (indices as --json lists them; one-sentence text)");
  cmd->add_option("--max-stretch", say.durations.max_stretch, "Longest allowed stretch of natural durations")
      ->capture_default_str();
  cmd->add_option("--min-stretch", say.durations.min_stretch, "Shortest allowed stretch")->capture_default_str();
  cmd->add_option("-o,--output", o->job.output, "Output WAV, 16 kHz, watermarked, with its signed manifest embedded and beside it");
  cmd->add_option("--use", o->job.use, "What the speech is for; the voice's consent must cover it")->capture_default_str();
  cmd->add_option("--key", publish.key, "Studio key: watermark key and manifest signature ($DUBKIT_KEY)")->capture_default_str();
  cmd->add_option("--trust", publish.trust_dir, "Trust store ($DUBKIT_TRUST_DIR)")->capture_default_str();
  cmd->add_option("--render-log", publish.render_log, "Render log the output is recorded in ($DUBKIT_RENDER_LOG)")->capture_default_str();
  cmd->add_option("--territory", publish.territory, "Where the output is published (recorded with its disclosure)")->capture_default_str();
  cmd->add_flag("--no-disclosure", o->no_disclosure,
                "Leave out the spoken notice that the voice is synthetic, said after the text (recorded in the manifest)");
  cmd->add_flag("--play", o->play, "Play while synthesising (first sentence starts before the rest is done)");
  cmd->add_option("--synthesizer", o->synthesizer, std::string("Synthesizer (default: models/") + kDefaultSynthesizer + ")");
  cmd->add_option("--seed", say.seed, "Seed of the prenet dropout (same seed, same audio)")->capture_default_str();
  cmd->add_option("--vocoder", o->vocoder, std::string("Vocoder: default (models/") + kDefaultVocoder + "), griffinlim, or a file")
      ->capture_default_str();
  cmd->add_option("--griffin-lim-iterations", o->job.griffin_lim_iterations, "Griffin-Lim iterations (--vocoder griffinlim)")
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "Print sentences, phones, durations and timings as JSON");
  cmd->footer("Example: dubkit say --voice actor.voice --text \"Good morning. How are you today?\" -o hello.wav\n"
              "         echo \"Buenos días.\" | dubkit say --voice actor.voice --lang es --text - --duration 1.5 -o es.wav");
  cmd->callback([o] {
    SayJobOptions& job = o->job;
    if (job.output.empty() && !o->play) throw InvalidArgument("say: give -o FILE, --play, or both");
    if (job.text == "-") job.text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    if (!std::isnan(o->duration)) {
      if (!(o->duration > 0)) throw InvalidArgument("--duration " + std::to_string(o->duration) + " must be positive");
      job.say.durations.total_seconds = o->duration;
    }
    for (const std::string& v : o->phone_durations) job.say.durations.phone_seconds.insert(parse_phone_duration(v));
    job.publish.disclose = !o->no_disclosure;
    job.synthesizer = model_path(o->synthesizer, kDefaultSynthesizer, "--synthesizer");
    job.vocoder = vocoder_spec(o->vocoder);
    job.validate();  // before the audio device opens
    std::optional<PlaybackStream> player;
    const MelPreset& preset = mel_preset(synthesizer_mel_preset(job.synthesizer));
    if (o->play) player.emplace(preset.sample_rate);
    const SayJobReport r = say_job(job, [&](const Waveform& marked) {
      if (player) player->write(marked.samples);
    });
    if (player) player->finish();
    if (o->json) {
      nlohmann::ordered_json sentences = nlohmann::ordered_json::array();
      std::size_t first = 0;
      for (const SentencePlan& s : r.speech.sentences) {
        nlohmann::ordered_json phones = nlohmann::ordered_json::array();
        for (std::size_t i = 0; i < s.phones.size(); ++i)
          phones.push_back({{"index", first + i}, {"phone", s.phones[i]}, {"seconds", s.durations.frames[i] / preset.frames_per_second()}});
        first += s.phones.size();
        sentences.push_back({{"text", s.text}, {"seconds", s.durations.seconds}, {"stretch", s.durations.stretch}, {"phones", phones}});
      }
      print_json({{"output", job.output}, {"voice", r.voice_name}, {"vocoder", r.vocoder_name}, {"consent", r.consent_id},
                  {"use", r.use}, {"output_id", r.output_id}, {"watermark_blocks", r.watermark_payloads.size()}, {"seconds", r.seconds},
                  {"first_audio_seconds", r.speech.first_audio_seconds}, {"wall_seconds", r.speech.wall_seconds},
                  {"sentences", sentences}});
      return;
    }
    // Audio under half a second cannot carry the mark: said, not left to be discovered.
    const std::string marks = r.watermark_payloads.empty() ? "unmarked: under half a second"
                                                           : std::to_string(r.watermark_payloads.size()) + " marked block(s)";
    std::printf("%zu sentence(s), %.2f s of audio in %.2f s (first audio after %.3f s), %s%s%s\n", r.speech.sentences.size(),
                r.seconds, r.speech.wall_seconds, r.speech.first_audio_seconds, marks.c_str(),
                job.output.empty() ? "" : " -> ", job.output.c_str());
  });
}

}  // namespace dubkit::cli
