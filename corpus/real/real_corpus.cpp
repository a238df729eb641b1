#include "corpus/real/real_corpus.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include <torch/torch.h>

#include "align/aligner.hpp"
#include "audio/io.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/parallel_for.hpp"
#include "corpus/manifest.hpp"
#include "corpus/perturb.hpp"
#include "corpus/real/debian_cache.hpp"
#include "corpus/real/sources.hpp"
#include "synth/front_end.hpp"
#include "text/phonemizer.hpp"
#include "video/video_reader.hpp"

namespace fs = std::filesystem;

namespace dubkit {

namespace {

struct Clip {
  RealClip clip;
  std::string source;
};

// One recording's outcome, as its sidecar JSON holds it.
struct Record {
  CorpusUtterance utterance;   // its WAV exists only when the recording was kept
  std::string rejected, detail;
  std::uint64_t hash = 0;
  int phones = 0;              // phone symbols in the phonemes (0: no transcript or no phonemes)
  bool phonemized = true;      // false: espeak-ng could not phonemize the text
  std::string source;
  bool testable = true;        // and
  std::string group;           // the unit of splitting: both the listing's, not stored
};

int phone_count(const std::vector<std::string>& symbols) {
  int n = 0;
  for (const std::string& s : symbols)
    if (s != " " && s != "ˈ" && s != "ˌ" && s.find_first_of(",.?!;:") == std::string::npos) ++n;
  return n;
}

// A rejected recording's utterance is not a valid manifest entry (no audio, no duration), so
// only its id is kept.
nlohmann::ordered_json record_json(const Record& r) {
  return {{"utterance", r.rejected.empty() ? nlohmann::ordered_json::parse(to_json_line(r.utterance))
                                           : nlohmann::ordered_json{{"id", r.utterance.id}}},
          {"source", r.source},
          {"rejected", r.rejected},
          {"detail", r.detail},
          {"hash", std::to_string(r.hash)},
          {"phones", r.phones},
          {"phonemized", r.phonemized}};
}

Record record_from_json(const std::string& path) {
  std::ifstream f(path);
  const auto j = nlohmann::json::parse(f, nullptr, false);
  if (j.is_discarded()) throw FormatError("'" + path + "' is not valid JSON");
  try {
    Record r;
    r.rejected = j.at("rejected").get<std::string>();
    if (r.rejected.empty())
      r.utterance = parse_manifest_line(j.at("utterance").dump(), path);
    else
      r.utterance.id = j.at("utterance").at("id").get<std::string>();
    r.source = j.at("source").get<std::string>();
    r.detail = j.at("detail").get<std::string>();
    r.hash = std::stoull(j.at("hash").get<std::string>());
    r.phones = j.at("phones").get<int>();
    r.phonemized = j.at("phonemized").get<bool>();
    return r;
  } catch (const std::exception& e) {
    throw FormatError("'" + path + "': " + e.what());
  }
}

// The phone times of a kept recording with phonemes, in the synthesizer's convention: the phones
// espeak-ng speaks for the transcript (synth/front_end.hpp), as `say` and `voice adapt` read
// them, so one synthesizer trains on this corpus and the synthetic one alike. Left empty when
// the aligner refuses it (fewer frames than phones).
void align_record(Record& r, const Waveform& speech, const Aligner& aligner) {
  try {
    r.utterance.phones = aligner.align(speech, sentence_phones(r.utterance.text, r.utterance.lang).phones);
  } catch (const InvalidArgument&) {
    r.utterance.phones.clear();
  }
}

std::string other_rate_path(const RealCorpusOptions& o, const CorpusUtterance& u, int rate) {
  return o.out_dir + "/wav" + std::to_string(rate) + u.path.substr(3);  // u.path is "wav/..."
}

bool other_rates_written(const RealCorpusOptions& o, const CorpusUtterance& u) {
  for (std::size_t i = 1; i < o.rates.size(); ++i)
    if (!fs::exists(other_rate_path(o, u, o.rates[i]))) return false;
  return true;
}

void write_other_rates(const RealCorpusOptions& o, const CorpusUtterance& u, const Waveform& native, const ClipCheck& check) {
  for (std::size_t i = 1; i < o.rates.size(); ++i) {
    const std::string path = other_rate_path(o, u, o.rates[i]);
    fs::create_directories(fs::path(path).parent_path());
    write_audio(path, kept_span_at(native, check, o.rates[i]));
  }
}

bool needs_alignment(const Record& r) {
  return r.rejected.empty() && r.utterance.phones.empty() && !r.utterance.phonemes.empty();
}

// Decodes, checks and writes one recording, or reads back its verdict from an earlier run
// (aligning it then when it was kept without phone times and an aligner is given now).
Record process(const RealCorpusOptions& o, const Clip& c, const Aligner* aligner) {
  const std::string dir = o.out_dir + "/wav/" + c.clip.speaker;
  const std::string sidecar = dir + "/" + c.clip.id + ".json";
  if (fs::exists(sidecar)) {
    Record r = record_from_json(sidecar);
    if (r.rejected.empty() && !other_rates_written(o, r.utterance)) {
      const Waveform native = read_audio_file(c.clip.audio, 0);
      write_other_rates(o, r.utterance, native, check_clip(native, o.rules));
    }
    if (aligner && needs_alignment(r)) {
      align_record(r, read_mono(o.out_dir + "/" + r.utterance.path), *aligner);
      write_file_atomic(sidecar, record_json(r).dump() + "\n");
    }
    return r;
  }

  Record r;
  r.source = c.source;
  CorpusUtterance& u = r.utterance;
  u.id = c.clip.id;
  u.speaker = c.clip.speaker;
  u.lang = c.clip.lang;
  u.base_voice = c.source;
  u.text = c.clip.text;
  u.path = "wav/" + c.clip.speaker + "/" + c.clip.id + ".wav";
  if (!u.text.empty()) {
    try {
      const Phonemes ph = phonemize(u.text, espeak_language(u.lang));
      u.phonemes = ph.ipa;
      r.phones = phone_count(ph.symbols);
    } catch (const InvalidArgument&) {
      r.phonemized = false;  // a language espeak-ng does not speak, or nothing speakable
    }
  }
  ClipCheck check;
  Waveform native;
  try {
    native = read_audio_file(c.clip.audio, 0);
    check = check_clip(native, o.rules);
  } catch (const Error& e) {
    check.rejected = "unreadable";
    check.detail = e.what();
  }
  r.rejected = check.rejected;
  r.detail = check.detail;
  fs::create_directories(dir);
  if (r.rejected.empty()) {
    r.hash = audio_hash(check.speech);
    u.duration = check.speech.seconds();
    u.source_rate = check.source_rate;
    write_audio(o.out_dir + "/" + u.path, check.speech);
    write_other_rates(o, u, native, check);
    if (aligner && needs_alignment(r)) align_record(r, check.speech, *aligner);
  }
  write_file_atomic(sidecar, record_json(r).dump() + "\n");
  return r;
}

// Lists every requested source; failures are recorded and the source skipped.
std::vector<Clip> list_sources(const RealCorpusOptions& o, DebianCache& cache, nlohmann::ordered_json& per_source,
                               nlohmann::ordered_json& failed, std::vector<std::string>& used) {
  std::vector<Clip> clips;
  std::vector<std::string> names = o.sources;
  if (names.empty())
    for (const RealSource& s : real_sources()) names.push_back(s.name);
  for (const std::string& name : names) {
    const RealSource& source = real_source(name);
    try {
      std::vector<std::string> roots;
      for (const std::string& p : source.packages) roots.push_back(cache.root(p));
      SourceListing listing = source.list(roots);
      if (o.max_per_source > 0 && static_cast<int>(listing.clips.size()) > o.max_per_source)
        listing.clips.resize(static_cast<std::size_t>(o.max_per_source));
      per_source[name] = {{"listed", listing.clips.size()},
                          {"transcripts_without_audio", listing.transcripts_without_audio},
                          {"audio_without_transcript", listing.audio_without_transcript},
                          {"malformed_transcript_lines", listing.malformed_lines}};
      for (RealClip& c : listing.clips) clips.push_back({std::move(c), name});
      used.push_back(name);
    } catch (const Error& e) {
      failed.push_back({{"source", name}, {"error", e.what()}});
    }
  }
  return clips;
}

// Speaker -> split, by the rule in the header, deciding for whole groups.
std::map<std::string, std::string> assign_splits(const RealCorpusOptions& o, const std::vector<Record>& kept) {
  std::map<std::string, double> seconds;
  std::map<std::string, bool> testable;
  for (const Record& r : kept) {
    seconds[r.group] += r.utterance.duration;
    auto [it, fresh] = testable.emplace(r.group, r.testable);
    if (!fresh) it->second = it->second && r.testable;
  }
  std::vector<std::pair<std::uint64_t, std::string>> ranked;
  for (const auto& [group, s] : seconds) ranked.emplace_back(stable_hash(group, o.seed), group);
  std::sort(ranked.begin(), ranked.end());
  std::map<std::string, std::string> group_split;
  int test_long = 0, val_long = 0, test_short = 0, val_short = 0;
  for (const auto& [h, group] : ranked) {
    std::string& s = group_split[group];
    s = "train";
    if (!testable[group]) continue;
    if (seconds[group] >= o.long_minutes * 60) {
      s = test_long < o.test_long ? (++test_long, "test") : val_long < o.val_long ? (++val_long, "val") : "train";
    } else if (seconds[group] >= o.min_short_seconds) {
      s = test_short < o.test_short ? (++test_short, "test") : val_short < o.val_short ? (++val_short, "val") : "train";
    }
  }
  std::map<std::string, std::string> split;
  for (const Record& r : kept) split[r.utterance.speaker] = group_split.at(r.group);
  return split;
}

std::string credits_markdown(const DebianCache& cache, const std::vector<std::string>& used) {
  std::ostringstream md;
  md << "# Credits: the real speech in this corpus\n\n"
     << "Every recording here comes from a Debian package, fetched with `apt-get download` and\n"
     << "used under its licence. Each package's copyright file is in `credits/` as shipped.\n"
     << "Models trained on this corpus carry this table in their model cards.\n\n"
     << "| source | packages | copyright | licence | voices |\n| --- | --- | --- | --- | --- |\n";
  for (const std::string& name : used) {
    const RealSource& s = real_source(name);
    std::string packages;
    for (const std::string& p : s.packages)
      packages += (packages.empty() ? "" : ", ") + ("`" + p + "` " + deb_version(cache.deb_name(p)));
    md << "| " << s.name << " | " << packages << " | " << s.copyright << " | " << s.licence << " | " << s.voices
       << " |\n";
  }
  return md.str();
}

void copy_copyright_files(const DebianCache& cache, const std::string& out_dir, const std::vector<std::string>& used) {
  fs::create_directories(out_dir + "/credits");
  for (const std::string& name : used)
    for (const std::string& p : real_source(name).packages) {
      const fs::path from = fs::path(cache.dir()) / "root" / p / "usr/share/doc" / p / "copyright";
      if (fs::exists(from))
        fs::copy_file(from, fs::path(out_dir) / "credits" / (p + ".copyright"), fs::copy_options::overwrite_existing);
    }
}

}  // namespace

void RealCorpusOptions::validate() const {
  if (out_dir.empty()) throw InvalidArgument("--out: the corpus folder is required");
  if (max_per_source < 0) throw InvalidArgument("--max-per-source must be >= 0, got " + std::to_string(max_per_source));
  if (threads < 1) throw InvalidArgument("--threads must be >= 1, got " + std::to_string(threads));
  if (long_minutes <= 0 || min_short_seconds < 0) throw InvalidArgument("speaker length limits must be positive");
  if (test_long < 0 || val_long < 0 || test_short < 0 || val_short < 0)
    throw InvalidArgument("held-out speaker counts must be >= 0");
  for (const std::string& s : sources) real_source(s);
  if (rates.empty() || rates.front() != 16000) throw InvalidArgument("--rates must start with 16000");
  for (int r : rates)
    if (r < 8000 || r > 96000) throw InvalidArgument("--rates: " + std::to_string(r) + " must be in [8000, 96000]");
  rules.validate();
}

std::string default_package_cache() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::string(xdg) + "/dubkit/debian";
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/dubkit/debian";
  throw IoError("no package cache given and neither XDG_CACHE_HOME nor HOME is set");
}

nlohmann::ordered_json build_real_corpus(const RealCorpusOptions& o, const std::function<void(double, double)>& progress) {
  o.validate();
  fs::create_directories(o.out_dir);
  DebianCache cache(o.cache_dir.empty() ? default_package_cache() : o.cache_dir);
  nlohmann::ordered_json per_source = nlohmann::ordered_json::object(), failed = nlohmann::ordered_json::array();
  std::vector<std::string> used;
  const std::vector<Clip> clips = list_sources(o, cache, per_source, failed, used);
  if (used.empty()) throw Error("no real speech source could be read: " + failed.dump());

  std::optional<Aligner> aligner;
  const int torch_threads = torch::get_num_threads();
  if (!o.aligner.empty()) {
    aligner.emplace(o.aligner);
    torch::set_num_threads(1);
  }
  std::vector<Record> records(clips.size());
  std::atomic<std::size_t> done{0};
  try {
    parallel_for(
        clips.size(), o.threads,
        [&](std::size_t i) {
          records[i] = process(o, clips[i], aligner ? &*aligner : nullptr);
          // The listing decides how speakers are held out, also for recordings made by an earlier run.
          const RealClip& c = clips[i].clip;
          records[i].group = c.group.empty() ? c.speaker : c.group;
          records[i].testable = c.testable;
          ++done;
        },
        [&] {
          if (progress) progress(double(done.load()), double(clips.size()));
        });
  } catch (...) {
    torch::set_num_threads(torch_threads);
    throw;
  }
  torch::set_num_threads(torch_threads);
  if (progress) progress(double(clips.size()), double(clips.size()));

  // Corpus-wide rules, in id order so the copy kept of a duplicate does not depend on listing order.
  std::vector<std::size_t> order(records.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return records[a].utterance.id < records[b].utterance.id; });
  std::map<std::uint64_t, std::string> first_of_hash;
  for (const std::size_t i : order) {
    Record& r = records[i];
    if (!r.rejected.empty()) continue;
    const auto [it, fresh] = first_of_hash.emplace(r.hash, r.utterance.id);
    if (!fresh) {
      r.rejected = "duplicate";
      r.detail = "same audio as " + it->second;
    }
  }
  std::map<std::string, std::vector<std::size_t>> by_source_lang;
  for (std::size_t i = 0; i < records.size(); ++i)
    if (records[i].rejected.empty()) by_source_lang[records[i].source + "/" + records[i].utterance.lang].push_back(i);
  for (const auto& [key, members] : by_source_lang) {
    std::vector<double> rate;
    for (const std::size_t i : members)
      rate.push_back(records[i].phones > 0 ? records[i].utterance.duration / records[i].phones : 0.0);
    for (const std::size_t k : phone_rate_outliers(rate, o.rules.max_phone_rate_ratio)) {
      Record& r = records[members[k]];
      r.rejected = "transcript";
      std::ostringstream d;
      d.precision(3);
      d << rate[k] * 1000 << " ms per phone, outside " << o.rules.max_phone_rate_ratio << "x of the median of " << key;
      r.detail = d.str();
    }
  }

  std::vector<Record> kept;
  std::string rejected_lines;
  nlohmann::ordered_json rules_json = nlohmann::ordered_json::object();
  for (const Record& r : records) {
    nlohmann::ordered_json& s = per_source[r.source];
    if (r.rejected.empty()) {
      kept.push_back(r);
      s["kept"] = s.value("kept", 0) + 1;
      s["kept_hours"] = s.value("kept_hours", 0.0) + r.utterance.duration / 3600;
      if (!r.phonemized) s["not_phonemized"] = s.value("not_phonemized", 0) + 1;
      if (!r.utterance.phones.empty()) s["aligned"] = s.value("aligned", 0) + 1;
      continue;
    }
    nlohmann::ordered_json& by_rule = s["rejected"];
    if (by_rule.is_null()) by_rule = nlohmann::ordered_json::object();
    by_rule[r.rejected] = by_rule.value(r.rejected, 0) + 1;
    rules_json[r.rejected] = rules_json.value(r.rejected, 0) + 1;
    rejected_lines += nlohmann::ordered_json{{"id", r.utterance.id}, {"source", r.source}, {"rule", r.rejected},
                                             {"detail", r.detail}}.dump() + "\n";
  }
  const std::map<std::string, std::string> split = assign_splits(o, kept);
  std::sort(kept.begin(), kept.end(), [](const Record& a, const Record& b) {
    return std::tie(a.utterance.speaker, a.utterance.id) < std::tie(b.utterance.speaker, b.utterance.id);
  });

  std::string manifest;
  struct SpeakerTotals {
    std::string source, group, split;
    std::set<std::string> langs;
    double seconds = 0;
    int clips = 0;
  };
  std::map<std::string, SpeakerTotals> speakers;
  std::map<std::string, double> split_hours, lang_hours;
  for (Record& r : kept) {
    r.utterance.split = split.at(r.utterance.speaker);
    manifest += to_json_line(r.utterance) + "\n";
    SpeakerTotals& t = speakers[r.utterance.speaker];
    t.source = r.source;
    t.group = r.group;
    t.split = r.utterance.split;
    t.langs.insert(r.utterance.lang);
    t.seconds += r.utterance.duration;
    ++t.clips;
    split_hours[r.utterance.split] += r.utterance.duration / 3600;
    lang_hours[r.utterance.lang] += r.utterance.duration / 3600;
  }
  nlohmann::ordered_json speakers_json = nlohmann::ordered_json::array();
  std::map<std::string, int> split_speakers;
  for (const auto& [id, t] : speakers) {
    speakers_json.push_back({{"id", id}, {"source", t.source}, {"langs", t.langs}, {"minutes", t.seconds / 60},
                             {"clips", t.clips}, {"split", t.split}, {"group", t.group}});
    ++split_speakers[t.split];
  }
  write_file_atomic(o.out_dir + "/manifest.jsonl", manifest);
  write_file_atomic(o.out_dir + "/speakers.json", speakers_json.dump(2) + "\n");
  write_file_atomic(o.out_dir + "/rejected.jsonl", rejected_lines);
  copy_copyright_files(cache, o.out_dir, used);
  write_file_atomic(o.out_dir + "/CREDITS.md", credits_markdown(cache, used));

  double hours = 0;
  for (const auto& [s, h] : split_hours) hours += h;
  nlohmann::ordered_json summary = {{"hours", hours},
                                    {"utterances", kept.size()},
                                    {"speakers", speakers.size()},
                                    {"speakers_per_split", split_speakers},
                                    {"hours_per_split", split_hours},
                                    {"hours_per_language", lang_hours},
                                    {"rejected_per_rule", rules_json},
                                    {"sources", per_source},
                                    {"failed_sources", failed},
                                    {"seed", o.seed}};
  write_file_atomic(o.out_dir + "/summary.json", summary.dump(2) + "\n");
  return summary;
}

}  // namespace dubkit
