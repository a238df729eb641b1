// corpus real: the transcript parsers, the cleaning rules, the package cache, and a whole build
// from a package made here (flite's voice in festvox-ru's layout), offline.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <algorithm>
#include <fstream>
#include <map>
#include <random>

#include "audio/io.hpp"
#include "audio/level.hpp"
#include "audio/long_term_spectrum.hpp"
#include "audio/resample.hpp"
#include "core/error.hpp"
#include "core/subprocess.hpp"
#include "corpus/engines.hpp"
#include "corpus/manifest.hpp"
#include "corpus/real/cleaning.hpp"
#include "corpus/real/debian_cache.hpp"
#include "corpus/real/real_corpus.hpp"
#include "corpus/real/sources.hpp"
#include "corpus/transcripts.hpp"
#include "support.hpp"
#include "synth/front_end.hpp"

using namespace dubkit;
namespace fs = std::filesystem;

namespace {

void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// A .deb named `package` holding `files` (path -> content, or WAVs written by the caller under
// `tree`), built with dpkg-deb into CACHE/debs, as if apt-get had downloaded it.
void make_deb(const std::string& cache, const std::string& package, const fs::path& tree) {
  write_text(tree / "DEBIAN/control", "Package: " + package +
                                          "\nVersion: 0.1-test\nArchitecture: all\nMaintainer: dubkit tests <t@example.org>\n"
                                          "Description: test package\n");
  fs::create_directories(fs::path(cache) / "debs");
  const ProgramResult r = run_program(
      {"dpkg-deb", "--root-owner-group", "-b", tree.string(), cache + "/debs/" + package + "_0.1-test_all.deb"});
  INFO(r.output);
  REQUIRE(r.ok());
}

Waveform noise(int rate, double seconds, double amplitude, unsigned seed) {
  std::mt19937 g(seed);
  std::normal_distribution<float> n(0.0f, 1.0f);
  Waveform w{rate, std::vector<float>(static_cast<std::size_t>(rate * seconds))};
  for (float& s : w.samples) s = static_cast<float>(amplitude) * n(g);
  return w;
}

}  // namespace

TEST_CASE("festival prompts: ids, quoted text with escapes, malformed lines counted", "[corpus][real]") {
  const Transcripts t = parse_festival_prompts(
      "( ru_0001 \"Она сказала: \\\"да\\\".\" )\n\n( ru_0002 \"Вол+осы.\" )\n( broken\n( ru_0003 \"unterminated )\n");
  REQUIRE(t.entries.size() == 2);
  CHECK(t.entries[0].key == "ru_0001");
  CHECK(t.entries[0].text == "Она сказала: \"да\".");
  CHECK(t.entries[1].text == "Вол+осы.");
  CHECK(t.malformed == 2);
}

TEST_CASE("asterisk prompts: keys with folders, comments and bracketed non-speech left out", "[corpus][real]") {
  const Transcripts t = parse_asterisk_prompts(
      "; Core Asterisk Sounds in English\n\nagent-pass: Please enter your password.\ndigits/1: One.\n"
      "beep: [this is a simple beep tone]\ndir-welcome:\nno colon here\n");
  REQUIRE(t.entries.size() == 2);
  CHECK(t.entries[1].key == "digits/1");
  CHECK(t.entries[1].text == "One.");
  CHECK(t.malformed == 2);
}

TEST_CASE("fillets dialogues: calls over several lines, speaker font, unmatched ids counted", "[corpus][real]") {
  const Transcripts t = parse_fillets_dialogs(
      "dialogId(\"m-one\", \"font_small\", \"One.\")\ndialogStr(\"Jedna.\")\n\n"
      "dialogId(\"v-two\", \"font_big\",\n\"Two, said over\")\ndialogStr(\n\"Dv\\\"a.\")\n"
      "dialogId(\"lost\", \"font_big\", \"no line follows\")\n"
      "dialogId(\"x-three\", \"font_viking\", \"Three.\")\ndialogStr(\"Tři.\")\n");
  REQUIRE(t.entries.size() == 3);
  CHECK(t.entries[0].speaker == "font_small");
  CHECK(t.entries[1].key == "v-two");
  CHECK(t.entries[1].text == "Dv\"a.");
  CHECK(t.entries[2].speaker == "font_viking");
  CHECK(t.malformed == 1);
}

TEST_CASE("tux paint descriptions and KDE sound lists", "[corpus][real]") {
  const Transcripts tux = parse_tuxpaint_description(
      "A US 25 cent piece.\nfr.utf8=Une pièce.\npt_BR.utf8=Uma moeda.\nstray line\nda.utf8=\n");
  REQUIRE(tux.entries.size() == 2);
  CHECK(tux.entries[1].key == "pt_BR");
  CHECK(tux.malformed == 1);
  const Transcripts kde = parse_kde_sounds(
      "<klettres><sounds>\n<sound name=\"&amp;A\" file=\"en/alpha/a.ogg\" />\n<sound\n name=\"B\"\n file=\"en/alpha/b.ogg\"/>\n"
      "<sound name=\"C\" />\n");
  REQUIRE(kde.entries.size() == 2);
  CHECK(kde.entries[0].text == "&A");
  CHECK(kde.entries[1].key == "en/alpha/b.ogg");
  CHECK(kde.malformed == 1);
}

TEST_CASE("corpus languages from package locales", "[corpus][real]") {
  CHECK(corpus_language("en_US") == "en");
  CHECK(corpus_language("pt_BR") == "pt-br");
  CHECK(corpus_language("es_MX") == "es-419");
  CHECK(corpus_language("ru") == "ru");
  CHECK(corpus_language("it_IT") == "it");
  CHECK_THROWS_AS(real_source("no-such-source"), InvalidArgument);
}

TEST_CASE("cleaning rules: each rejects what it names and keeps clean speech trimmed", "[corpus][real]") {
  const CleaningRules rules;
  // Speech-like: a tone burst between two silences, at 22.05 kHz (resampled to 16 kHz).
  Waveform speech = test::test_tone(22050, 1.5);
  Waveform padded{22050, std::vector<float>(22050, 0.0f)};
  padded.samples.insert(padded.samples.end(), speech.samples.begin(), speech.samples.end());
  padded.samples.resize(padded.samples.size() + 22050, 0.0f);
  Waveform hiss = noise(22050, 3.5, 0.003, 1);  // a noise floor for the VAD and a high band
  for (std::size_t i = 0; i < padded.samples.size(); ++i) padded.samples[i] += hiss.samples[i];

  const ClipCheck kept = check_clip(padded, rules);
  INFO(kept.detail);
  REQUIRE(kept.rejected.empty());
  CHECK(kept.speech.rate == 16000);
  CHECK(kept.trimmed_seconds > 1.5);
  CHECK(kept.speech.seconds() < 2.0);
  CHECK(std::fabs(20 * std::log10(peak(kept.speech)) - rules.peak_dbfs) < 0.1);
  // The same span at 22050 Hz, from the recording: same length and level, and the hiss above
  // 8 kHz that the 16 kHz file cannot hold.
  const Waveform full = kept_span_at(padded, kept, 22050);
  CHECK(full.rate == 22050);
  CHECK(full.seconds() == Approx(kept.speech.seconds()).margin(1e-3));
  CHECK(std::fabs(20 * std::log10(peak(full)) - rules.peak_dbfs) < 0.5);
  CHECK(band_share_db(full, 8500, 11025) > band_share_db(resample(kept.speech, 22050), 8500, 11025) + 20);

  Waveform clipped = padded;
  for (float& s : clipped.samples) s = std::clamp(s * 20.0f, -1.0f, 1.0f);
  CHECK(check_clip(clipped, rules).rejected == "clipping");

  Waveform quiet = padded;  // speech at -50 dBFS: the VAD still finds it, the level rule refuses it
  const auto gain = static_cast<float>(std::pow(10.0, (-50 - kept.speech_dbfs) / 20));
  for (float& s : quiet.samples) s *= gain;
  CHECK(check_clip(quiet, rules).rejected == "level");

  CHECK(check_clip(Waveform{16000, std::vector<float>(16000, 0.0f)}, rules).rejected == "silence");
  CHECK(check_clip(Waveform{128000, std::vector<float>(1000, 0.1f)}, rules).rejected == "rate");

  // Telephone band: the same tone without its hiss has nothing above 4 kHz.
  const Waveform tone16 = test::test_tone(16000, 2.0, 150.0);
  CHECK(high_band_db(tone16) < rules.min_high_band_db);
  CHECK(high_band_db(noise(16000, 1.0, 0.1, 2)) > -4);  // white noise: half its energy above 4 kHz
}

TEST_CASE("audio hash and seconds-per-phone outliers", "[corpus][real]") {
  const Waveform a = noise(16000, 0.5, 0.1, 3);
  Waveform b = a;
  CHECK(audio_hash(a) == audio_hash(b));
  b.samples[100] += 0.01f;
  CHECK(audio_hash(a) != audio_hash(b));
  const std::vector<std::size_t> out = phone_rate_outliers({0.08, 0.09, 0.1, 0.0, 0.5, 0.02, 0.085}, 2.5);
  CHECK(out == std::vector<std::size_t>{4, 5});
}

TEST_CASE("package cache: versions, bad names, unknown packages reported by name", "[corpus][real]") {
  CHECK(deb_version("festvox-ru_0.5+dfsg-6_all.deb") == "0.5+dfsg-6");
  CHECK(deb_version("klettres-data_4%3a22.12.3-1_all.deb") == "4:22.12.3-1");
  CHECK(deb_version("README") == "");
  DebianCache cache(test::temp_dir("real_cache_bad"));
  CHECK_THROWS_AS(cache.root("Not A Package"), InvalidArgument);
  CHECK_THROWS_WITH(cache.root("dubkit-no-such-package"), Catch::Contains("dubkit-no-such-package"));
}

TEST_CASE("corpus real end to end, offline: a festvox-layout package of flite speech, a broken source skipped",
          "[corpus][real]") {
  const std::string dir = test::temp_dir("real_corpus");
  const std::string cache = dir + "/cache";
  // festvox-ru's layout, with flite's voice reading English sentences (no real person).
  const fs::path tree = fs::path(dir) / "pkg";
  const fs::path voice = tree / "usr/share/festival/voices/russian/msu_ru_nsh_clunits";
  const std::vector<std::string> sentences = {"The ship is at the pier.", "Please press the pound key.",
                                              "Welcome to the city under the sun.", "The fish swims away."};
  std::string prompts;
  const BaseVoice slt{"flite-slt", "flite", "slt", "en"};
  for (std::size_t i = 0; i < sentences.size(); ++i) {
    const std::string id = "ru_000" + std::to_string(i + 1);
    prompts += "( " + id + " \"" + sentences[i] + "\" )\n";
    Waveform w = speak(slt, sentences[i], 7).wave;
    if (i == 3) w.samples.resize(w.samples.size() / 4);  // cut: its transcript no longer fits
    fs::create_directories(voice / "wav");
    write_audio((voice / "wav" / (id + ".wav")).string(), w);
  }
  prompts += "( ru_0009 \"A line whose recording is missing.\" )\n";
  write_audio((voice / "wav/ru_0006.wav").string(), Waveform{16000, std::vector<float>(16000, 0.0f)});
  prompts += "( ru_0006 \"A silent recording.\" )\n";
  fs::copy_file(voice / "wav/ru_0001.wav", voice / "wav/ru_0005.wav");  // the same recording twice
  prompts += "( ru_0005 \"The ship is at the pier.\" )\n";
  write_text(voice / "etc/txt.done.data", prompts);
  write_text(tree / "usr/share/doc/festvox-ru/copyright", "Copyright: nobody (test package)\n");
  make_deb(cache, "festvox-ru", tree);
  // klettres-data in its layout: one language's letters and syllables, two speakers of one group.
  const fs::path letters = fs::path(dir) / "klettres" / "usr/share/klettres";
  std::string sounds = "<klettres><language code=\"en\">\n";
  for (const std::string item : {"alpha/a", "alpha/b", "syllab/ba", "syllab/bo"}) {
    fs::create_directories((letters / "en" / item).parent_path());
    write_audio((letters / "en" / (item + ".wav")).string(), speak(slt, item.substr(item.find('/') + 1), 7).wave);
    sounds += "<sound name=\"" + item.substr(item.find('/') + 1) + "\" file=\"en/" + item + ".wav\" />\n";
  }
  write_text(letters / "en/sounds.xml", sounds + "</language></klettres>\n");
  make_deb(cache, "klettres-data", fs::path(dir) / "klettres");
  // ktuberling-data with no ktuberling folder inside: cannot be parsed.
  make_deb(cache, "ktuberling-data", fs::path(dir) / "empty");

  RealCorpusOptions o;
  o.out_dir = dir + "/out";
  o.cache_dir = cache;
  o.sources = {"festvox-ru", "klettres", "ktuberling"};
  o.long_minutes = 0.05;  // 3 s: the festvox-layout speaker (5 s) counts as long, KLettres' group (2 s) as short
  o.test_long = 1;
  o.min_short_seconds = 0.5;
  o.test_short = 0;
  o.val_short = 1;
  o.rates = {16000, 22050};
  const auto summary = build_real_corpus(o);

  REQUIRE(summary["failed_sources"].size() == 1);
  CHECK(summary["failed_sources"][0]["source"] == "ktuberling");
  CHECK(summary["failed_sources"][0]["error"].get<std::string>().find("ktuberling") != std::string::npos);
  const auto& s = summary["sources"]["festvox-ru"];
  CHECK(s["listed"] == 6);
  CHECK(s["rejected"]["silence"] == 1);
  CHECK(s["transcripts_without_audio"] == 1);
  CHECK(s["rejected"]["duplicate"] == 1);
  CHECK(summary["rejected_per_rule"].value("duplicate", 0) == 1);

  std::vector<CorpusUtterance> m = read_manifest(o.out_dir);
  CHECK(s["rejected"].value("transcript", 0) == 1);  // ru_0004, cut to a quarter
  // KLettres' letters and syllables: two speakers, held out together.
  std::map<std::string, std::string> klettres;
  for (const CorpusUtterance& u : m)
    if (u.base_voice == "klettres") klettres[u.speaker] = u.split;
  CHECK(klettres == std::map<std::string, std::string>{{"klettres-en-alpha", "val"}, {"klettres-en-syllab", "val"}});
  const std::map<std::string, std::string> groups = read_speaker_groups(o.out_dir);  // for voice eval's trials
  CHECK(groups.at("klettres-en-alpha") == "klettres-en");
  CHECK(groups.at("klettres-en-syllab") == "klettres-en");
  CHECK(groups.at("festvox-ru-nsh") == "festvox-ru-nsh");
  m.erase(std::remove_if(m.begin(), m.end(), [](const CorpusUtterance& u) { return u.base_voice != "festvox-ru"; }), m.end());
  REQUIRE(m.size() == 3);
  for (const CorpusUtterance& u : m) {
    CHECK(u.speaker == "festvox-ru-nsh");
    CHECK(u.split == "test");
    CHECK(u.lang == "ru");
    CHECK(!u.phonemes.empty());
    const Waveform w = read_mono(o.out_dir + "/" + u.path);
    CHECK(w.rate == 16000);
    CHECK(w.seconds() == Approx(u.duration).margin(1e-3));
    CHECK(u.source_rate == 16000);  // flite's voice
    const Waveform w22 = read_mono(corpus_audio_path(o.out_dir, u, 22050));
    CHECK(w22.rate == 22050);
    CHECK(w22.seconds() == Approx(u.duration).margin(1e-3));
  }
  const std::string credits = test::slurp(o.out_dir + "/CREDITS.md");
  CHECK(credits.find("festvox-ru") != std::string::npos);
  CHECK(credits.find("0.1-test") != std::string::npos);
  CHECK(fs::exists(o.out_dir + "/credits/festvox-ru.copyright"));
  CHECK(test::slurp(o.out_dir + "/rejected.jsonl").find("\"duplicate\"") != std::string::npos);

  // A second run fetches and decodes nothing again and gives the same manifest.
  const std::string first = test::slurp(o.out_dir + "/manifest.jsonl");
  fs::remove(fs::path(cache) / "debs" / "festvox-ru_0.1-test_all.deb");
  build_real_corpus(o);
  CHECK(test::slurp(o.out_dir + "/manifest.jsonl") == first);

  // A rerun with an aligner times the phones espeak-ng speaks for each transcript: the
  // synthesizer's convention (synth/front_end.hpp), in order inside the recording (the silence
  // at its edges belongs to no phone).
  o.aligner = std::string(DUBKIT_MODELS_DIR) + "/aligner.safetensors";
  build_real_corpus(o);
  int aligned = 0;
  for (const CorpusUtterance& u : read_manifest(o.out_dir)) {
    if (u.base_voice != "festvox-ru") continue;
    std::vector<std::string> names;
    for (const PhoneSpan& p : u.phones) names.push_back(p.phone);
    CHECK(names == sentence_phones(u.text, u.lang).phones);
    REQUIRE(!u.phones.empty());
    CHECK(u.phones.front().start >= 0);
    CHECK(u.phones.front().start < 0.3);  // the 0.1 s margin and flite's own lead-in
    for (std::size_t i = 1; i < u.phones.size(); ++i) CHECK(u.phones[i].start == Approx(u.phones[i - 1].end).margin(1e-3));
    CHECK(u.phones.back().end <= u.duration + 1e-3);
    ++aligned;
  }
  CHECK(aligned == 3);
}
