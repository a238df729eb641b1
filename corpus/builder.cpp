#include "corpus/builder.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include "audio/io.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/parallel_for.hpp"
#include "corpus/manifest.hpp"
#include "corpus/perturb.hpp"
#include "corpus/texts.hpp"
#include "text/phonemizer.hpp"

namespace dubkit {

namespace fs = std::filesystem;

namespace {

using Speaker = CorpusSpeaker;

// Each language gets an equal share of speakers, dealt round-robin over its base voices;
// within a language, speakers sorted by a seeded hash go to test, then val, then train.
std::vector<Speaker> plan_speakers(const CorpusOptions& o) {
  const std::vector<BaseVoice> all = base_voices(o.langs);
  std::vector<Speaker> out;
  for (std::size_t li = 0; li < o.langs.size(); ++li) {
    std::vector<BaseVoice> bases;
    for (const BaseVoice& b : all)
      if (b.lang == o.langs[li]) bases.push_back(b);
    const int n = o.speakers / int(o.langs.size()) + (int(li) < o.speakers % int(o.langs.size()) ? 1 : 0);
    std::vector<Speaker> lang_speakers;
    for (int k = 0; k < n; ++k) {
      Speaker s;
      s.base = bases[k % bases.size()];
      s.index = k / int(bases.size());
      char suffix[16];
      std::snprintf(suffix, sizeof(suffix), "-%02d", s.index);
      s.id = s.base.id + suffix;
      s.perturbation = perturbation_for(o.seed, s.id, s.index);
      lang_speakers.push_back(s);
    }
    std::vector<Speaker*> order;
    for (Speaker& s : lang_speakers) order.push_back(&s);
    std::sort(order.begin(), order.end(), [&](const Speaker* a, const Speaker* b) {
      return stable_hash(a->id, o.seed + 7) < stable_hash(b->id, o.seed + 7);
    });
    // Even a tiny corpus gets at least one val and one test speaker per language.
    auto share = [&](double f) { return f > 0 ? std::max<std::size_t>(1, std::lround(n * f)) : std::size_t{0}; };
    const std::size_t n_test = share(o.test_fraction), n_val = share(o.val_fraction);
    for (std::size_t i = 0; i < order.size(); ++i) order[i]->split = i < n_test ? "test" : i < n_test + n_val ? "val" : "train";
    out.insert(out.end(), lang_speakers.begin(), lang_speakers.end());
  }
  return out;
}

nlohmann::ordered_json speaker_json(const Speaker& s) {
  const VoicePerturbation& p = s.perturbation;
  return {{"id", s.id},
          {"base_voice", s.base.id},
          {"engine", s.base.engine},
          {"engine_voice", s.base.name},
          {"lang", s.base.lang},
          {"split", s.split},
          {"perturbation",
           {{"pitch", p.pitch}, {"formant", p.formant}, {"rate", p.rate}, {"tilt", p.tilt}, {"reverb", p.reverb},
            {"room", p.room}}}};
}

std::string utterance_name(const Speaker& s, int j) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "_%04d", j);
  return s.id + buf;
}

// Makes (or reads back, when finished earlier) utterance j of speaker s.
CorpusUtterance make_utterance(const CorpusOptions& o, const Speaker& s, int j, const SentenceSet& sentences) {
  const std::string name = utterance_name(s, j);
  const std::string rel = "wav/" + s.id + "/" + name + ".wav";
  const std::string sidecar = o.out_dir + "/wav/" + s.id + "/" + name + ".json";
  if (fs::exists(sidecar)) {
    std::ifstream f(sidecar);
    std::string line;
    std::getline(f, line);
    return parse_manifest_line(line, sidecar);
  }
  const std::uint64_t h = stable_hash(name, o.seed);
  CorpusUtterance u;
  u.id = name;
  u.path = rel;
  u.speaker = s.id;
  u.split = s.split;
  u.lang = s.base.lang;
  u.base_voice = s.base.id;
  const Phonemes ph = phonemize(sentences.train[h % sentences.train.size()], espeak_language(s.base.lang));
  u.text = ph.normalized;
  u.phonemes = ph.ipa;
  const double peak = 0.3 + 0.65 * double((h >> 20) % 1000) / 1000.0;  // level varies per utterance
  const SpokenUtterance native = speak(s.base, ph.normalized, static_cast<unsigned>(h));
  u.source_rate = native.wave.rate;
  u.phones = native.phones;
  const Waveform main = apply_perturbation(native.wave, s.perturbation, 16000, peak, u.phones);
  u.duration = main.seconds();
  fs::create_directories(o.out_dir + "/wav/" + s.id);
  write_audio(o.out_dir + "/" + rel, main);
  // Other rates are made from the engine's own audio, not from the 16 kHz file, so a 22050 Hz
  // copy of an espeak-ng voice keeps its band up to 11 kHz.
  for (std::size_t r = 1; r < o.rates.size(); ++r) {
    const std::string dir = o.out_dir + "/wav" + std::to_string(o.rates[r]) + "/" + s.id;
    fs::create_directories(dir);
    std::vector<PhoneSpan> unused = native.phones;
    write_audio(dir + "/" + name + ".wav", apply_perturbation(native.wave, s.perturbation, o.rates[r], peak, unused));
  }
  write_file_atomic(sidecar, to_json_line(u) + "\n");
  return u;
}

}  // namespace

SpokenUtterance speak_as(const CorpusSpeaker& s, const std::string& text, unsigned seed, double peak) {
  SpokenUtterance spoken = speak(s.base, text, seed);
  spoken.wave = apply_perturbation(spoken.wave, s.perturbation, 16000, peak, spoken.phones);
  return spoken;
}

std::vector<CorpusSpeaker> read_corpus_speakers(const std::string& corpus_dir) {
  const std::string path = corpus_dir + "/speakers.json";
  std::ifstream f(path);
  if (!f) throw IoError(path + ": cannot open (not a dubkit corpus?)");
  const auto j = nlohmann::json::parse(f, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) throw FormatError(path + ": not a JSON array of speakers");
  std::map<std::string, BaseVoice> voices;
  std::vector<CorpusSpeaker> out;
  for (std::size_t i = 0; i < j.size(); ++i) {
    const auto& e = j[i];
    try {
      CorpusSpeaker s;
      s.id = e.at("id").get<std::string>();
      s.split = e.at("split").get<std::string>();
      const std::size_t dash = s.id.rfind('-');  // "<base voice>-NN"
      if (dash == std::string::npos || s.id.find_first_not_of("0123456789", dash + 1) != std::string::npos || dash + 1 == s.id.size())
        throw FormatError("speaker id '" + s.id + "' does not end in -<index>");
      s.index = std::stoi(s.id.substr(dash + 1, 6));
      const std::string lang = e.at("lang").get<std::string>(), base = e.at("base_voice").get<std::string>();
      if (!voices.count(base))
        for (const BaseVoice& v : base_voices({lang})) voices.emplace(v.id, v);
      const auto v = voices.find(base);
      if (v == voices.end()) throw FormatError("unknown base voice '" + base + "'");
      s.base = v->second;
      const auto& p = e.at("perturbation");
      s.perturbation = {p.at("pitch").get<double>(), p.at("formant").get<double>(), p.at("rate").get<double>(),
                        p.at("tilt").get<double>(),  p.at("reverb").get<double>(),  p.at("room").get<double>()};
      out.push_back(std::move(s));
    } catch (const nlohmann::json::exception& ex) {
      throw FormatError(path + ": speaker " + std::to_string(i) + ": " + ex.what());
    } catch (const FormatError& ex) {
      throw FormatError(path + ": speaker " + std::to_string(i) + ": " + ex.what());
    }
  }
  return out;
}

void CorpusOptions::validate() const {
  if (out_dir.empty()) throw InvalidArgument("corpus: --out is required");
  if (!(hours > 0) || hours > 1000) throw InvalidArgument("corpus: --hours " + std::to_string(hours) + " must be in (0, 1000]");
  if (langs.empty()) throw InvalidArgument("corpus: --langs is empty");
  for (const std::string& l : langs) text_source_description(l);  // throws for unknown ones
  if (speakers < int(langs.size()) * 3)
    throw InvalidArgument("corpus: --speakers " + std::to_string(speakers) + " must be at least 3 per language");
  if (rates.empty() || rates.front() != 16000) throw InvalidArgument("corpus: --rates must start with 16000");
  for (int r : rates)
    if (r < 8000 || r > 96000) throw InvalidArgument("corpus: rate " + std::to_string(r) + " must be in [8000, 96000]");
  if (val_fraction < 0 || test_fraction < 0 || val_fraction + test_fraction >= 1)
    throw InvalidArgument("corpus: validation and test fractions must leave speakers for training");
  if (threads < 1 || threads > 64) throw InvalidArgument("corpus: --threads " + std::to_string(threads) + " must be in [1, 64]");
}

nlohmann::ordered_json build_corpus(const CorpusOptions& o, const std::function<void(double, double)>& progress) {
  o.validate();
  const auto t0 = std::chrono::steady_clock::now();
  fs::create_directories(o.out_dir);
  std::map<std::string, SentenceSet> sentences;
  for (const std::string& lang : o.langs) {
    sentences[lang] = load_sentences(lang, o.seed);
    std::string held;
    for (const std::string& s : sentences[lang].heldout) held += s + "\n";
    write_file_atomic(o.out_dir + "/heldout_sentences." + lang + ".txt", held);
  }
  const std::vector<Speaker> speakers = plan_speakers(o);
  nlohmann::ordered_json speakers_json = nlohmann::ordered_json::array();
  for (const Speaker& s : speakers) speakers_json.push_back(speaker_json(s));
  write_file_atomic(o.out_dir + "/speakers.json", speakers_json.dump(2) + "\n");

  // Each speaker gets the same share of audio; its utterances are made in index order until
  // the share is reached, so the set of utterances does not depend on thread timing.
  const double per_speaker = o.hours * 3600.0 / speakers.size();
  std::vector<std::vector<CorpusUtterance>> results(speakers.size());
  std::atomic<long long> done_ms{0};
  const double total = per_speaker * speakers.size();
  parallel_for(
      speakers.size(), o.threads,
      [&](std::size_t i) {
        double have = 0;
        for (int j = 0; have < per_speaker; ++j) {
          results[i].push_back(make_utterance(o, speakers[i], j, sentences.at(speakers[i].base.lang)));
          const double d = results[i].back().duration;
          done_ms += static_cast<long long>(std::min(d, per_speaker - have) * 1000);
          have += d;
        }
      },
      [&] {
        if (progress) progress(done_ms.load() / 1000.0, total);
      });
  if (progress) progress(total, total);

  std::string manifest;
  nlohmann::ordered_json per_lang, per_split, per_speaker_json;
  long long utterances = 0;
  for (std::size_t i = 0; i < speakers.size(); ++i) {
    double secs = 0;
    for (const CorpusUtterance& u : results[i]) {
      manifest += to_json_line(u) + "\n";
      secs += u.duration;
      ++utterances;
    }
    const Speaker& s = speakers[i];
    per_speaker_json[s.id] = {{"hours", secs / 3600}, {"utterances", results[i].size()}, {"split", s.split}};
    for (auto* table : {&per_lang, &per_split}) {
      auto& row = (*table)[table == &per_lang ? s.base.lang : s.split];
      if (row.is_null()) row = {{"hours", 0.0}, {"speakers", 0}, {"utterances", 0}};
      row["hours"] = row["hours"].get<double>() + secs / 3600;
      row["speakers"] = row["speakers"].get<int>() + 1;
      row["utterances"] = row["utterances"].get<long long>() + static_cast<long long>(results[i].size());
    }
  }
  write_file_atomic(o.out_dir + "/manifest.jsonl", manifest);
  double hours = 0;
  for (const auto& [lang, row] : per_lang.items()) hours += row["hours"].get<double>();
  nlohmann::ordered_json sources;
  for (const std::string& lang : o.langs)
    sources[lang] = {{"text", text_source_description(lang)},
                     {"train_sentences", sentences[lang].train.size()},
                     {"heldout_sentences", sentences[lang].heldout.size()}};
  nlohmann::ordered_json summary = {
      {"format", "dubkit-corpus"},
      {"version", 1},
      {"options",
       {{"hours", o.hours}, {"speakers", o.speakers}, {"seed", o.seed}, {"langs", o.langs}, {"rates", o.rates}}},
      {"hours", hours},
      {"utterances", utterances},
      {"speakers", speakers.size()},
      {"languages", per_lang},
      {"splits", per_split},
      {"sources", sources},
      {"build_seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()},
      {"per_speaker", per_speaker_json}};
  write_file_atomic(o.out_dir + "/summary.json", summary.dump(2) + "\n");
  return summary;
}

}  // namespace dubkit
