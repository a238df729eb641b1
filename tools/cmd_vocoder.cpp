// dubkit vocoder eval: a vocoder measured on held-out corpus speakers.
#include <cstdio>
#include <memory>

#include "core/progress.hpp"
#include "tools/commands.hpp"
#include "train/vocoder_eval.hpp"

namespace dubkit::cli {

void register_vocoder(CLI::App& app) {
  auto* group = app.add_subcommand("vocoder", "Measure vocoders");
  group->require_subcommand(1);
  struct Opts {
    VocoderEvalOptions e;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  o->e.vocoder = "default";
  auto* cmd = group->add_subcommand(
      "eval", "Analysis-resynthesis of held-out speakers: PocketSphinx WER (or phone error rate) and mel-cepstral distortion, next to Griffin-Lim's");
  cmd->add_option("--corpus", o->e.corpus_dir, "Corpus directory (dubkit corpus build)")->required();
  cmd->add_option("--vocoder", o->e.vocoder, std::string("default (models/") + kDefaultVocoder + "), griffinlim, or a vocoder file")
      ->capture_default_str();
  cmd->add_option("--split", o->e.split, "Speakers of this split")->capture_default_str();
  cmd->add_option("--lang", o->e.lang, "Language (en: word error rate; others: phone error rate)")->capture_default_str();
  cmd->add_option("--utterances", o->e.utterances, "Utterances, dealt round-robin over the speakers")->capture_default_str();
  cmd->add_option("--griffin-lim-iterations", o->e.griffin_lim_iterations, "Griffin-Lim iterations of the reference point")
      ->capture_default_str();
  cmd->add_option("--keep-audio", o->e.keep_audio_dir, "Write original, vocoded and Griffin-Lim WAVs here");
  cmd->add_flag("!--no-wer", o->e.recognise, "Skip speech recognition (word or phone error rates)");
  cmd->add_flag("--json", o->json, "Print the full report (one row per utterance) as JSON");
  cmd->footer("Example: dubkit vocoder eval --corpus corpus --split test --utterances 40 --json");
  cmd->callback([o] {
    o->e.vocoder = vocoder_spec(o->e.vocoder);
    Progress progress("vocoder eval", o->e.utterances, !o->json);
    const nlohmann::ordered_json r = evaluate_vocoder(o->e, [&](int done, int) { progress.update(done); });
    progress.done();
    if (o->json) {
      print_json(r);
      return;
    }
    if (r.contains("wer")) {
      const bool words = r.contains("words");
      std::printf("%s %.1f%% (original %.1f%%, ratio %.2f; Griffin-Lim %.1f%%) over %ld %s\n", words ? "WER" : "PER",
                  100 * r["wer"].get<double>(), 100 * r["wer_original"].get<double>(), r["wer_ratio"].get<double>(),
                  100 * r["wer_griffinlim"].get<double>(), r[words ? "words" : "phones"].get<long>(), words ? "words" : "phones");
    }
    std::printf("mel-cepstral distortion %.2f dB (Griffin-Lim %.2f dB); real-time factor %.4f (Griffin-Lim %.3f)\n",
                r["mcd"].get<double>(), r["mcd_griffinlim"].get<double>(), r["real_time_factor"].get<double>(),
                r["real_time_factor_griffinlim"].get<double>());
    std::printf("4-10 kHz share of the long-term spectrum %.1f dB (original %.1f dB)\n", r["band_4_10k_db"].get<double>(),
                r["band_4_10k_db_original"].get<double>());
  });
}

}  // namespace dubkit::cli
