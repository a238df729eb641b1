// dubkit corpus build
#include <cstdio>
#include <memory>

#include "core/progress.hpp"
#include "corpus/builder.hpp"
#include "tools/commands.hpp"

namespace dubkit::cli {

void register_corpus(CLI::App& app) {
  auto* corpus = app.add_subcommand("corpus", "The synthetic multi-speaker training corpus");
  corpus->require_subcommand(1);
  struct Opts {
    CorpusOptions c;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = corpus->add_subcommand("build", "Synthesise (or finish) a corpus: WAVs, manifest.jsonl, speakers.json, summary.json");
  cmd->add_option("--out", o->c.out_dir, "Output directory (re-running completes it)")->required();
  cmd->add_option("--hours", o->c.hours, "Total hours of audio")->capture_default_str();
  cmd->add_option("--speakers", o->c.speakers, "Pseudo-speakers, spread evenly over the languages")->capture_default_str();
  cmd->add_option("--seed", o->c.seed, "Seed: sentences, perturbations, splits")->capture_default_str();
  cmd->add_option("--langs", o->c.langs, "Languages (en, es, de)")->delimiter(',')->capture_default_str();
  cmd->add_option("--rates", o->c.rates, "Sample rates to write; the first must be 16000")->delimiter(',')->capture_default_str();
  cmd->add_option("--threads", o->c.threads, "Worker threads")->capture_default_str();
  cmd->add_flag("--json", o->json, "Print the summary as JSON");
  cmd->footer("Example: dubkit corpus build --out /tmp/corpus --hours 0.05 --speakers 9 --langs en,es,de");
  corpus->footer("Example: dubkit corpus build --out corpus --hours 5 --speakers 240");
  cmd->callback([o] {
    Progress progress("corpus", 1000, !o->json);
    const auto summary = build_corpus(o->c, [&](double done, double total) {
      progress.update(static_cast<long long>(1000 * done / total));
    });
    progress.done();
    if (o->json) {
      auto brief = summary;
      brief.erase("per_speaker");
      print_json(brief);
      return;
    }
    std::printf("%s: %.2f h, %lld utterances, %d speakers in %.0f s\n", o->c.out_dir.c_str(), summary["hours"].get<double>(),
                summary["utterances"].get<long long>(), summary["speakers"].get<int>(),
                summary["build_seconds"].get<double>());
    for (const auto& [split, row] : summary["splits"].items())
      std::printf("  %-5s %3d speakers  %6.2f h\n", split.c_str(), row["speakers"].get<int>(), row["hours"].get<double>());
  });
}

}  // namespace dubkit::cli
