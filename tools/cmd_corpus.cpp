// dubkit corpus build | real | faces | presenter
#include <cstdio>
#include <memory>

#include "core/progress.hpp"
#include "corpus/builder.hpp"
#include "corpus/real/real_corpus.hpp"
#include "corpus/real/sources.hpp"
#include "talking_faces/presenter.hpp"
#include "talking_faces/talking_faces.hpp"
#include "tools/commands.hpp"

namespace dubkit::cli {
namespace {

void register_corpus_faces(CLI::App* corpus) {
  struct Opts {
    TalkingFacesOptions f;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = corpus->add_subcommand(
      "faces", "Synthetic talking-face clips from an audio corpus: MP4s, tracked and aligned crops, manifest.jsonl");
  cmd->add_option("--corpus", o->f.corpus_dir, "Audio corpus (dubkit corpus build): phone timings drive the mouths")->required();
  cmd->add_option("--out", o->f.out_dir, "Output directory")->required();
  cmd->add_option("--clips", o->f.clips, "Number of clips (utterances under 8 s, seeded sample of every split)")->capture_default_str();
  cmd->add_option("--identities", o->f.identities, "Distinct synthetic faces (80% train, 10% val, 10% test)")->capture_default_str();
  cmd->add_option("--face-size", o->f.face_size, "Aligned crop side stored for training: 96, 128, 192, 256")->capture_default_str();
  cmd->add_option("--fps", o->f.fps, "Frame rate")->capture_default_str();
  cmd->add_option("--width", o->f.width, "Frame width, pixels")->capture_default_str();
  cmd->add_option("--height", o->f.height, "Frame height, pixels")->capture_default_str();
  cmd->add_option("--seed", o->f.seed, "Seed: identities, clip order")->capture_default_str();
  cmd->add_flag("--json", o->json, "Print the report as JSON");
  cmd->footer("Example: dubkit corpus faces --corpus corpus --out faces --clips 400");
  cmd->callback([o] {
    Progress progress("corpus faces", o->f.clips, !o->json);
    const TalkingFacesReport r = build_talking_faces(o->f, [&](int done, int) { progress.update(done); });
    progress.done();
    if (o->json) {
      print_json({{"clips", r.clips}, {"frames", r.frames}, {"tracked", r.tracked}, {"seconds", r.seconds}});
      return;
    }
    std::printf("%s: %d clips, %.1f min, %ld frames, face tracked in %.1f%%\n", o->f.out_dir.c_str(), r.clips, r.seconds / 60,
                r.frames, r.frames ? 100.0 * r.tracked / r.frames : 0.0);
  });
}

void register_corpus_real(CLI::App* corpus) {
  struct Opts {
    RealCorpusOptions r;
    std::string aligner = "default";
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  std::string names;
  for (const RealSource& s : real_sources()) names += (names.empty() ? "" : ", ") + s.name;
  auto* cmd = corpus->add_subcommand(
      "real", "Real human speech from Debian packages (apt-get download, no root): cleaned WAVs, manifest.jsonl, CREDITS.md");
  cmd->add_option("--out", o->r.out_dir, "Output directory (re-running completes it)")->required();
  cmd->add_option("--sources", o->r.sources, "Sources to use, comma-separated (default: all): " + names)->delimiter(',');
  cmd->add_option("--cache", o->r.cache_dir, "Package cache (default: $XDG_CACHE_HOME/dubkit/debian or ~/.cache/dubkit/debian)");
  cmd->add_option("--max-per-source", o->r.max_per_source, "Recordings taken from each source (0: all)")->capture_default_str();
  cmd->add_option("--seed", o->r.seed, "Seed: which speakers are held out")->capture_default_str();
  cmd->add_option("--test-long", o->r.test_long, "Test speakers with 5+ minutes")->capture_default_str();
  cmd->add_option("--test-short", o->r.test_short, "Test speakers with less")->capture_default_str();
  cmd->add_option("--val-long", o->r.val_long, "Val speakers with 5+ minutes")->capture_default_str();
  cmd->add_option("--val-short", o->r.val_short, "Val speakers with less")->capture_default_str();
  cmd->add_option("--threads", o->r.threads, "Worker threads")->capture_default_str();
  cmd->add_option("--rates", o->r.rates, "Sample rates to write (wav<rate>/ beside wav/); the first must be 16000")
      ->delimiter(',')->capture_default_str();
  cmd->add_option("--aligner", o->aligner,
                  std::string("Aligner for the phone times: default (models/") + kDefaultAligner + "), a model file, or none")
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "Print the summary as JSON");
  cmd->footer("Example: dubkit corpus real --out real --sources festvox-ru,asterisk-en");
  cmd->callback([o] {
    if (o->aligner != "none") o->r.aligner = model_path(o->aligner == "default" ? "" : o->aligner, kDefaultAligner, "--aligner");
    Progress progress("corpus real", 1000, !o->json);
    const auto summary = build_real_corpus(o->r, [&](double done, double total) {
      progress.update(total > 0 ? static_cast<long long>(1000 * done / total) : 0);
    });
    progress.done();
    if (o->json) {
      print_json(summary);
      return;
    }
    std::printf("%s: %.2f h, %lld utterances, %lld speakers\n", o->r.out_dir.c_str(), summary["hours"].get<double>(),
                summary["utterances"].get<long long>(), summary["speakers"].get<long long>());
    for (const auto& [split, n] : summary["speakers_per_split"].items())
      std::printf("  %-5s %3d speakers  %6.2f h\n", split.c_str(), n.get<int>(),
                  summary["hours_per_split"].value(split, 0.0));
    for (const auto& [rule, n] : summary["rejected_per_rule"].items())
      std::printf("  rejected (%s): %d\n", rule.c_str(), n.get<int>());
    for (const auto& f : summary["failed_sources"])
      std::printf("  source %s skipped: %s\n", f["source"].get<std::string>().c_str(), f["error"].get<std::string>().c_str());
  });
}

void register_corpus_presenter(CLI::App* corpus) {
  auto o = std::make_shared<PresenterOptions>();
  auto* cmd = corpus->add_subcommand("presenter", "A synthetic presenter reading lines to camera, with timed scripts (the sample's clip)");
  cmd->add_option("--lines", o->lines, "TSV: a header row of languages, then one line per row; the first column is spoken")
      ->required();
  cmd->add_option("-o,--output", o->output, "MP4 to write; PREFIX.<lang>.srt beside it for every column")->required();
  cmd->add_option("--voice", o->voice, "Base voice reading the first column")->capture_default_str();
  cmd->add_option("--identity", o->identity, "Synthetic face seed")->capture_default_str();
  cmd->add_option("--width", o->width, "Frame width, pixels")->capture_default_str();
  cmd->add_option("--height", o->height, "Frame height, pixels")->capture_default_str();
  cmd->add_option("--fps", o->fps, "Frame rate")->capture_default_str();
  cmd->add_option("--lead", o->lead, "Seconds of silence before the first line")->capture_default_str();
  cmd->add_option("--gap", o->gap, "Seconds of silence between lines")->capture_default_str();
  cmd->add_option("--tail", o->tail, "Seconds of silence after the last line")->capture_default_str();
  cmd->footer("Example: dubkit corpus presenter --lines samples/presenter.tsv -o samples/presenter.mp4");
  cmd->callback([o] {
    const PresenterReport r = render_presenter(*o);
    std::printf("%s: %d lines, %.1f s\n", o->output.c_str(), r.lines, r.seconds);
    for (const std::string& s : r.scripts) std::printf("  %s\n", s.c_str());
  });
}

}  // namespace

void register_corpus(CLI::App& app) {
  auto* corpus = app.add_subcommand("corpus", "The training corpora: synthetic and real speech, synthetic talking faces");
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
  corpus->footer("Example: dubkit corpus build --out corpus --hours 5 --speakers 240\n"
                 "         dubkit corpus real --out real\n"
                 "         dubkit corpus faces --corpus corpus --out faces --clips 400");
  register_corpus_real(corpus);
  register_corpus_faces(corpus);
  register_corpus_presenter(corpus);
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
