// dubkit train aligner | align file | align eval
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <sstream>

#include "align/aligner_eval.hpp"
#include "core/error.hpp"
#include "core/progress.hpp"
#include "tools/commands.hpp"
#include "train/aligner_trainer.hpp"

namespace dubkit::cli {

namespace {

nlohmann::ordered_json summary_json(const BoundarySummary& s) {
  return {{"boundaries_scored", s.scored},        {"boundaries_reference", s.reference},
          {"mean_abs_ms", s.mean_abs_ms},          {"median_abs_ms", s.median_abs_ms},
          {"within_ms", s.tolerance_ms},           {"within_share", s.within_tolerance}};
}

void print_summary(const char* name, const BoundarySummary& s) {
  std::printf("%-16s mean |error| %6.2f ms, median %6.2f ms, %5.1f%% within %.0f ms (%ld of %ld boundaries scored)\n", name,
              s.mean_abs_ms, s.median_abs_ms, 100 * s.within_tolerance, s.tolerance_ms, s.scored, s.reference);
}

void register_align_file(CLI::App* group) {
  struct Opts {
    std::string audio, model, text, phones, lang = "en";
    AlignOptions align;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = group->add_subcommand("file", "Phone start/end times of one recording, from its text or its phones");
  cmd->add_option("audio", o->audio, "Audio file (any rate; mixed to mono, resampled to 16 kHz)")->required();
  cmd->add_option("--text", o->text, "What is said (phonemized by espeak-ng in --lang)");
  cmd->add_option("--phones", o->phones, "The phones instead, IPA separated by spaces, _ for a pause");
  cmd->add_option("--lang", o->lang, "Language of --text (corpus code or espeak-ng voice: en, es, de, ru...)")->capture_default_str();
  cmd->add_option("--model", o->model, std::string("Aligner (default: models/") + kDefaultAligner + ")");
  cmd->add_option("--prior-scale", o->align.prior_scale, "Weight of the class prior (default: the model's calibrated one)");
  cmd->add_flag("--json", o->json, "Print the phones as JSON");
  cmd->footer("Example: dubkit align file line.wav --text \"Good evening.\" --json\n"
              "         dubkit align file ru.wav --lang ru --text \"Добрый вечер.\"");
  cmd->callback([o] {
    if (o->text.empty() == o->phones.empty()) throw InvalidArgument("align file: give exactly one of --text and --phones");
    std::vector<std::string> phones;
    if (!o->text.empty()) {
      phones = phones_for_text(o->text, o->lang);
    } else {
      std::istringstream in(o->phones);
      for (std::string p; in >> p;) phones.push_back(p);
    }
    const Aligner aligner(model_path(o->model, kDefaultAligner, "--model"));
    const ScoredAlignment a = align_file(aligner, o->audio, phones, o->align);
    if (o->json) {
      nlohmann::ordered_json list = nlohmann::ordered_json::array();
      for (const PhoneSpan& s : a.phones) list.push_back({{"phone", s.phone}, {"start", s.start}, {"end", s.end}});
      print_json({{"audio", o->audio}, {"model", aligner.source()}, {"cost", a.cost}, {"phones", list}});
      return;
    }
    for (const PhoneSpan& s : a.phones) std::printf("%8.3f %8.3f  %s\n", s.start, s.end, s.phone.c_str());
    std::printf("cost %.3f nats per frame (best class's log-posterior - the aligned phone's)\n", a.cost);
  });
}

void register_align_eval(CLI::App* group) {
  struct Opts {
    CorpusAlignEvalOptions corpus;
    FestivalAlignEvalOptions festival;
    std::string model;
    double prior_scale = std::numeric_limits<double>::quiet_NaN();
    int utterances = 0;
    double tolerance_ms = 20;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = group->add_subcommand(
      "eval", "Boundary errors against a corpus split's own phone times, or against a festvox voice's labels");
  cmd->add_option("--corpus", o->corpus.corpus_dir, "Corpus directory (dubkit corpus build)");
  cmd->add_option("--split", o->corpus.split, "Corpus split (test = held-out speakers)")->capture_default_str();
  cmd->add_option("--lang", o->corpus.lang, "Only this corpus language");
  cmd->add_option("--festvox-lab", o->festival.lab_dir, "Festvox label directory (lab/*.lab)");
  cmd->add_option("--festvox-wav", o->festival.wav_dir, "Festvox recordings (wav/*.wav)");
  cmd->add_option("--text", o->festival.prompts, "Festvox prompt list (etc/txt.done.data)");
  cmd->add_option("--festvox-lang", o->festival.lang, "espeak-ng language of the festvox prompts")->capture_default_str();
  cmd->add_option("--model", o->model, std::string("Aligner (default: models/") + kDefaultAligner + ")");
  cmd->add_option("--utterances", o->utterances, "At most this many utterances (0 = all)")->capture_default_str();
  cmd->add_option("--tolerance-ms", o->tolerance_ms, "Boundary tolerance for the share within")->capture_default_str();
  cmd->add_option("--prior-scale", o->prior_scale, "Weight of the class prior (default: the model's calibrated one)");
  cmd->add_flag("--json", o->json, "Print the report as JSON");
  cmd->footer("Example: dubkit align eval --corpus corpus --split test --model runs/aligner/aligner.safetensors\n"
              "         dubkit align eval --festvox-lab V/lab --festvox-wav V/wav --text V/etc/txt.done.data");
  cmd->callback([o] {
    const bool festival = !o->festival.lab_dir.empty() || !o->festival.wav_dir.empty() || !o->festival.prompts.empty();
    if (festival == !o->corpus.corpus_dir.empty())
      throw InvalidArgument("align eval: give either --corpus or --festvox-lab, --festvox-wav and --text");
    const Aligner aligner(model_path(o->model, kDefaultAligner, "--model"));
    AlignEvalReport r;
    if (festival) {
      o->festival.utterances = o->utterances;
      o->festival.tolerance_ms = o->tolerance_ms;
      o->festival.align.prior_scale = o->prior_scale;
      r = evaluate_aligner_on_festival(aligner, o->festival);
    } else {
      o->corpus.utterances = o->utterances;
      o->corpus.tolerance_ms = o->tolerance_ms;
      o->corpus.align.prior_scale = o->prior_scale;
      r = evaluate_aligner_on_corpus(aligner, o->corpus);
    }
    if (o->json) {
      nlohmann::ordered_json groups = nlohmann::ordered_json::object();
      for (const auto& [name, s] : r.groups) groups[name] = summary_json(s);
      print_json({{"model", aligner.source()}, {"prior_scale", std::isnan(o->prior_scale) ? aligner.prior_scale() : o->prior_scale},
                  {"reference", festival ? "festvox" : "corpus:" + o->corpus.split}, {"utterances", r.utterances},
                  {"failed", r.failed}, {"audio_seconds", r.audio_seconds}, {"seconds", r.seconds},
                  {"all", summary_json(r.all)}, {"groups", groups}});
      return;
    }
    std::printf("%d utterances (%.0f s of audio; %d could not be aligned) in %.1f s\n", r.utterances, r.audio_seconds, r.failed,
                r.seconds);
    print_summary(festival ? "espeak-ng phones" : "all", r.all);
    for (const auto& [name, s] : r.groups) print_summary(name.c_str(), s);
  });
}

}  // namespace

void register_train_aligner(CLI::App* train) {
  struct Opts {
    AlignerTrainOptions a;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  AlignerModelConfig& m = o->a.model;
  auto* cmd = train->add_subcommand("aligner", "Train the phone aligner's frame classifier (checkpoints, loss.csv/png, aligner.safetensors)");
  cmd->add_option("--corpus", o->a.corpus_dir, "Corpus directory (dubkit corpus build)")->required();
  cmd->add_option("--out", o->a.out_dir, "Output directory")->required();
  cmd->add_option("--steps", o->a.steps, "Total optimisation steps")->capture_default_str();
  cmd->add_option("--batch", o->a.batch, "Crops per step")->capture_default_str();
  cmd->add_option("--frames", o->a.frames, "Frames per crop (10 ms each)")->capture_default_str();
  cmd->add_option("--lr", o->a.lr, "Peak learning rate (Adam)")->capture_default_str();
  cmd->add_option("--warmup", o->a.warmup, "Warm-up steps")->capture_default_str();
  cmd->add_option("--clip", o->a.clip, "Gradient norm clip")->capture_default_str();
  cmd->add_option("--channels", m.channels, "Conv channels")->capture_default_str();
  cmd->add_option("--conv-layers", m.conv_layers, "Conv layers")->capture_default_str();
  cmd->add_option("--kernel", m.kernel, "Conv width in frames (odd)")->capture_default_str();
  cmd->add_option("--lstm-hidden", m.lstm_hidden, "BiLSTM units per direction (0: none)")->capture_default_str();
  cmd->add_option("--dropout", m.dropout, "Dropout after each conv layer")->capture_default_str();
  cmd->add_flag("!--no-balance", o->a.balance, "Draw utterances in proportion to the corpus, not evenly per language and engine");
  cmd->add_flag("!--no-augment", o->a.augment, "No noise floor, band or frame masks");
  cmd->add_option("--max-utterances", o->a.max_utterances, "Use at most N train utterances (0 = all)")->capture_default_str();
  cmd->add_option("--val-utterances", o->a.val_utterances, "Val utterances for metrics and the prior calibration")->capture_default_str();
  cmd->add_option("--checkpoint-every", o->a.checkpoint_every, "Steps between checkpoints")->capture_default_str();
  cmd->add_option("--validate-every", o->a.validate_every, "Steps between validations")->capture_default_str();
  cmd->add_option("--seed", o->a.seed, "Seed (initialisation, batches, augmentation, dropout)")->capture_default_str();
  cmd->add_option("--threads", o->a.threads, "CPU threads")->capture_default_str();
  cmd->add_flag("--resume", o->a.resume, "Continue from the latest checkpoint in --out");
  cmd->add_flag("--json", o->json, "Print the report as JSON");
  cmd->footer("Example: dubkit train aligner --corpus corpus --out runs/aligner --steps 1500\n"
              "Resume:  dubkit train aligner --corpus corpus --out runs/aligner --steps 1500 --resume");
  cmd->callback([o] {
    if (!o->json) std::fprintf(stderr, "train aligner: reading %s\n", o->a.corpus_dir.c_str());
    Progress progress("train aligner", o->a.steps, !o->json);
    const AlignerTrainReport r = train_aligner(o->a, [&](long step, double) { progress.update(step); });
    progress.done();
    if (o->json) {
      print_json({{"steps", r.steps}, {"final_loss", r.final_loss}, {"val_frame_accuracy", r.val_frame_accuracy},
                  {"val_mean_abs_ms", r.val_mean_abs_ms}, {"val_within_20ms", r.val_within_20ms},
                  {"prior_scale", r.prior_scale}, {"seconds", r.seconds}, {"model", o->a.out_dir + "/aligner.safetensors"}});
      return;
    }
    std::printf("%ld steps, loss %.4f, val frame accuracy %.1f%%, val boundaries %.2f ms mean, %.1f%% within 20 ms "
                "(prior scale %.2f), %.0f s -> %s/aligner.safetensors\n",
                r.steps, r.final_loss, 100 * r.val_frame_accuracy, r.val_mean_abs_ms, 100 * r.val_within_20ms, r.prior_scale,
                r.seconds, o->a.out_dir.c_str());
  });
}

void register_align(CLI::App& app) {
  auto* group = app.add_subcommand("align", "Phone alignment of speech (any language espeak-ng speaks)");
  group->require_subcommand(1);
  register_align_file(group);
  register_align_eval(group);
}

}  // namespace dubkit::cli
