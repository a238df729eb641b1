// dubkit say
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>

#include "audio/devices.hpp"
#include "audio/io.hpp"
#include "core/error.hpp"
#include "provenance/publish.hpp"
#include "provenance/render_log.hpp"
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
    std::string key = default_key_path(), trust = TrustStore::default_dir(), use = "dubbing", render_log = default_render_log();
    std::string territory = "worldwide";
    bool no_disclosure = false;
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
  cmd->add_option("-o,--output", o->out, "Output WAV, 16 kHz, watermarked, with its signed manifest embedded and beside it");
  cmd->add_option("--use", o->use, "What the speech is for; the voice's consent must cover it")->capture_default_str();
  cmd->add_option("--key", o->key, "Studio key: watermark key and manifest signature ($DUBKIT_KEY)")->capture_default_str();
  cmd->add_option("--trust", o->trust, "Trust store ($DUBKIT_TRUST_DIR)")->capture_default_str();
  cmd->add_option("--render-log", o->render_log, "Render log the output is recorded in ($DUBKIT_RENDER_LOG)")->capture_default_str();
  cmd->add_option("--territory", o->territory, "Where the output is published (recorded with its disclosure)")->capture_default_str();
  cmd->add_flag("--no-disclosure", o->no_disclosure,
                "Leave out the spoken notice that the voice is synthetic, said after the text (recorded in the manifest)");
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
    if (o->out.size()) {
      if (std::filesystem::path(o->out).extension() != ".wav")
        throw InvalidArgument("say: output '" + o->out + "' must be a .wav (the signed manifest is embedded as a RIFF chunk)");
      check_audio_output(o->out, TextToSpeech::kSampleRate, 1);  // fail before the work
    }
    if (o->text == "-") o->text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    if (!std::isnan(o->duration)) {
      if (!(o->duration > 0)) throw InvalidArgument("--duration " + std::to_string(o->duration) + " must be positive");
      o->say.durations.total_seconds = o->duration;
    }
    for (const std::string& v : o->phone_durations) o->say.durations.phone_seconds.insert(parse_phone_duration(v));
    const AuthorizedVoice voice = authorize_voice(read_voice_profile(o->voice), TrustStore(o->trust), o->use, o->say.lang);
    const VoiceProfile& profile = voice.profile();
    const SigningKey key = read_signing_key(o->key);
    const std::string synth_path = model_path(o->synthesizer, kDefaultSynthesizer, "--synthesizer");
    TextToSpeech tts(synth_path);
    if (!tts.encoder().empty() && tts.encoder() != profile.encoder)
      throw InvalidArgument(o->voice + " was made with the encoder '" + profile.encoder + "', the synthesizer expects '" +
                            tts.encoder() + "': enroll the voice again with that encoder");
    const std::string vocoder_file = vocoder_spec(o->vocoder);
    const std::unique_ptr<Vocoder> vocoder = open_vocoder(vocoder_file, o->griffin_lim_iterations);
    const std::string output_id = new_output_id();
    AudioMarker marker(key.watermark, voice.consent().id, output_id, TextToSpeech::kSampleRate);
    std::optional<PlaybackStream> player;
    if (o->play) player.emplace(TextToSpeech::kSampleRate);
    Waveform all;
    all.rate = TextToSpeech::kSampleRate;
    auto emit = [&](const Waveform& marked) {
      if (player) player->write(marked.samples);
      all.samples.insert(all.samples.end(), marked.samples.begin(), marked.samples.end());
    };
    std::size_t made = 0;
    const std::size_t target = o->say.durations.total_seconds > 0
                                   ? static_cast<std::size_t>(std::lround(o->say.durations.total_seconds * all.rate))
                                   : 0;
    const SayReport r = tts.say(o->text, profile.embedding, o->say, *vocoder, [&](const Waveform& w) {
      Waveform piece = w;
      // The frames meet a target length; the samples, to less than half a frame: trimmed or
      // padded here, before the mark, so the marked audio is exactly the output.
      if (target && made + piece.samples.size() > target) piece.samples.resize(made < target ? target - made : 0);
      made += piece.samples.size();
      emit(marker.push(piece));
    });
    if (target && made < target) emit(marker.push(Waveform{all.rate, std::vector<float>(target - made, 0.0f)}));
    if (!o->no_disclosure) {  // after the fitted text, so a line still fills its slot exactly
      SayOptions notice;
      notice.lang = o->say.lang;
      emit(marker.push(Waveform{all.rate, std::vector<float>(all.rate * 3 / 10, 0.0f)}));
      tts.say(disclosure_notice(o->say.lang), profile.embedding, notice, *vocoder, [&](const Waveform& w) { emit(marker.push(w)); });
    }
    emit(marker.finish());
    if (player) player->finish();
    if (o->out.size()) {
      write_audio(o->out, all);
      std::vector<std::string> models = {synth_path};
      if (std::filesystem::is_regular_file(vocoder_file)) models.push_back(vocoder_file);
      Manifest m = spoken_audio_manifest(voice, output_id, o->out, models, std::string("dubkit say ") + DUBKIT_VERSION);
      m.watermark_payloads = marker.payloads();
      m.disclosures.push_back({o->territory, "spoken notice", !o->no_disclosure});
      sign_output(o->out, m, key, o->render_log, "say");
    }
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
      print_json({{"output", o->out}, {"voice", profile.name}, {"vocoder", vocoder->name()}, {"consent", voice.consent().id},
                  {"use", voice.use()}, {"output_id", output_id}, {"watermark_blocks", marker.payloads().size()}, {"seconds", double(all.samples.size()) / all.rate},
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
