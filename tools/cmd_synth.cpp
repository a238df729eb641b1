// dubkit synth eval
#include <cmath>
#include <cstdio>
#include <memory>

#include "core/progress.hpp"
#include "tools/commands.hpp"
#include "train/synth_eval.hpp"

namespace dubkit::cli {

void register_synth(CLI::App& app) {
  auto* synth = app.add_subcommand("synth", "Synthesizer evaluation");
  synth->require_subcommand(1);
  struct Opts {
    SynthEvalOptions e;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  o->e.vocoder = "default";  // what say uses
  auto* cmd = synth->add_subcommand(
      "eval", "WER (PocketSphinx) of synthesised vs ground-truth speech, speaker similarity and duration accuracy on held-out speakers");
  cmd->add_option("--corpus", o->e.corpus_dir, "Corpus directory (dubkit corpus build)")->required();
  cmd->add_option("--synthesizer", o->e.synthesizer_path, std::string("Synthesizer (default: models/") + kDefaultSynthesizer + ")");
  cmd->add_option("--encoder", o->e.encoder_path, std::string("Speaker encoder (default: models/") + kDefaultEncoder + ")");
  cmd->add_option("--vocoder", o->e.vocoder, std::string("Vocoder: default (models/") + kDefaultVocoder + "), griffinlim, or a file")
      ->capture_default_str();
  cmd->add_option("--split", o->e.split, "Speakers of this split")->capture_default_str();
  cmd->add_option("--lang", o->e.lang, "Language")->capture_default_str();
  cmd->add_option("--sentences", o->e.sentences, "Held-out sentences (dealt round-robin to the speakers)")->capture_default_str();
  cmd->add_option("--enroll", o->e.enroll_utterances, "Corpus recordings per speaker profile")->capture_default_str();
  cmd->add_flag("!--no-wer", o->e.recognise, "Skip speech recognition (PocketSphinx has only an English model)");
  cmd->add_option("--seed", o->e.seed, "Seed")->capture_default_str();
  cmd->add_flag("--json", o->json, "Print the full report (one row per sentence) as JSON");
  cmd->footer("Example: dubkit synth eval --corpus corpus --split test --lang en --sentences 40 --json");
  cmd->callback([o] {
    o->e.synthesizer_path = model_path(o->e.synthesizer_path, kDefaultSynthesizer, "--synthesizer");
    o->e.encoder_path = model_path(o->e.encoder_path, kDefaultEncoder, "--encoder");
    o->e.vocoder = vocoder_spec(o->e.vocoder);
    Progress progress("synth eval", o->e.sentences, !o->json);
    const nlohmann::ordered_json r = evaluate_synthesizer(o->e, [&](int done, int) { progress.update(done); });
    progress.done();
    if (o->json) {
      print_json(r);
      return;
    }
    if (r.contains("wer"))
      std::printf("WER %.1f%% (ground truth %.1f%%, ratio %.2f) over %ld words\n", 100 * r["wer"].get<double>(),
                  100 * r["truth_wer"].get<double>(), r["wer_ratio"].get<double>(), r["words"].get<long>());
    std::printf("speaker similarity %.3f (ground truth %.3f); same speaker closer in %.1f%% of %ld pairs\n",
                r["similarity_mean"].get<double>(), r["truth_similarity_mean"].get<double>(),
                100 * r["same_closer_fraction"].get<double>(), r["pairs"].get<long>());
    std::printf("duration control: max relative error %.2f%%; real-time factor %.3f\n",
                100 * r["duration_max_relative_error"].get<double>(), r["real_time_factor"].get<double>());
  });
}

}  // namespace dubkit::cli
