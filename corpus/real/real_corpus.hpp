// `dubkit corpus real`: a corpus of real human speech from Debian packages (sources.hpp),
// fetched into a package cache (debian_cache.hpp), cleaned (cleaning.hpp) and written in the
// manifest format of `corpus build` (corpus/manifest.hpp), so every trainer reads both.
//
// Layout of the output directory:
//   wav/<speaker>/<id>.wav    16 kHz mono 16-bit, trimmed to the speech + 0.1 s, peak -1 dBFS
//   wav<rate>/<speaker>/<id>.wav  the same span and gain at each further rate of `rates`, made
//                             from the recording itself (its band is the source's: source_rate)
//   wav/<speaker>/<id>.json   that recording's verdict and measures (written after the WAV;
//                             its presence marks the recording done, so a rerun resumes)
//   manifest.jsonl            every kept utterance; base_voice = the source; text and phonemes
//                             when the source has a transcript in the spoken language; phones
//                             with their times from the aligner (align/aligner.hpp) when one is
//                             given, else [] (a rerun with an aligner fills them in); the phones
//                             are espeak-ng's for the transcript, as the synthesizer reads them
//   speakers.json             every speaker: source, languages, minutes, clips, split, group
//   summary.json              per source: listed, kept, each rule's rejections, transcripts
//                             without audio, audio without transcripts, unreadable lines, and
//                             the sources that could not be fetched or parsed, with why
//   rejected.jsonl            every rejected recording with its rule and measure
//   CREDITS.md, credits/      each source's packages, holders, licence and voices; each
//                             package's copyright file as shipped
// Files rejected by the corpus-wide rules (duplicates, transcripts out of step) keep their WAV
// under wav/; manifest.jsonl is what the corpus holds.
//
// Splits are by whole speaker, and by whole group where speakers may be one person
// (RealClip::group): among the groups that may be held out (RealClip::testable), ranked by a
// seeded hash, the first `test_long` with at least `long_minutes` of speech and the first
// `test_short` of the shorter ones (with at least `min_short_seconds`) are test, the next
// `val_long` / `val_short` val; everything else is train. Deterministic for a seed and the
// packages' contents.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "corpus/real/cleaning.hpp"

namespace dubkit {

struct RealCorpusOptions {
  std::string out_dir;
  std::string cache_dir;              // the package cache (default_package_cache() when empty)
  std::vector<std::string> sources;   // names from real_sources(); empty = all
  std::uint64_t seed = 1;
  int max_per_source = 0;             // recordings taken from each source, in listing order; 0 = all
  double long_minutes = 5;
  double min_short_seconds = 15;
  int test_long = 4, val_long = 2, test_short = 20, val_short = 5;
  int threads = 2;
  std::vector<int> rates = {16000};   // the first is the main rate (16000), as in `corpus build`
  std::string aligner;                // aligner model for the phone times; "" = none. While aligning,
                                      // LibTorch's intra-op threads are set to 1 (the workers are
                                      // the parallelism) and restored after
  CleaningRules rules;
  void validate() const;              // throws InvalidArgument naming the field
};

// $XDG_CACHE_HOME/dubkit/debian, else $HOME/.cache/dubkit/debian.
std::string default_package_cache();

// Builds or completes the corpus. A source whose packages cannot be fetched or whose files
// cannot be parsed is reported in summary.json ("failed_sources", with the error) and skipped;
// a recording that cannot be decoded is rejected ("unreadable"). Throws IoError when the output
// cannot be written, Error when no source could be read at all. `progress(done, total)`
// counts recordings, from the calling thread. Returns the summary.
nlohmann::ordered_json build_real_corpus(const RealCorpusOptions& opts,
                                         const std::function<void(double, double)>& progress = {});

}  // namespace dubkit
