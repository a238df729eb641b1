#include "corpus/real/sources.hpp"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include "core/error.hpp"
#include "corpus/transcripts.hpp"

namespace fs = std::filesystem;

namespace dubkit {

namespace {

std::string file_safe(const std::string& s) {
  std::string out;
  for (const char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') ? c : '-';
  return out;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// The files under `dir` (recursively) whose names end with `ext`, sorted: listings must not
// depend on the file system's order.
std::vector<fs::path> files_under(const fs::path& dir, const std::string& ext) {
  std::vector<fs::path> files;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw IoError("expected folder '" + dir.string() + "' is missing");
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec))
    if (it->is_regular_file() && ends_with(it->path().filename().string(), ext)) files.push_back(it->path());
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<fs::path> subfolders(const fs::path& dir) {
  std::vector<fs::path> dirs;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw IoError("expected folder '" + dir.string() + "' is missing");
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_directory()) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

SourceListing festvox_ru(const std::vector<std::string>& roots) {
  const fs::path voice = fs::path(roots.at(0)) / "usr/share/festival/voices/russian/msu_ru_nsh_clunits";
  const Transcripts prompts = parse_festival_prompts(read_text_file((voice / "etc/txt.done.data").string()));
  SourceListing out;
  out.malformed_lines = prompts.malformed;
  std::set<std::string> used;
  for (const TranscriptEntry& e : prompts.entries) {
    const fs::path wav = voice / "wav" / (e.key + ".wav");
    if (!fs::exists(wav)) {
      ++out.transcripts_without_audio;
      continue;
    }
    std::string text = e.text;
    text.erase(std::remove(text.begin(), text.end(), '+'), text.end());  // the reader's stress marks
    out.clips.push_back({wav.string(), "festvox-ru-nsh_" + file_safe(e.key), "festvox-ru-nsh", "", "ru", text});
    used.insert(wav.filename().string());
  }
  for (const fs::path& wav : files_under(voice / "wav", ".wav"))
    if (!used.count(wav.filename().string())) ++out.audio_without_transcript;
  return out;
}

SourceListing asterisk(const std::string& lang, const std::vector<std::string>& roots) {
  const std::string text_pkg = "asterisk-core-sounds-" + lang;
  const Transcripts prompts = parse_asterisk_prompts(read_text_file(
      (fs::path(roots.at(0)) / "usr/share/doc" / text_pkg / ("core-sounds-" + lang + ".txt.gz")).string()));
  SourceListing out;
  out.malformed_lines = prompts.malformed;
  // One voice folder per package: <locale>_<sex>_<Name>, e.g. en_US_f_Allison.
  const std::vector<fs::path> voices = subfolders(fs::path(roots.at(1)) / "usr/share/asterisk/sounds");
  if (voices.size() != 1)
    throw FormatError("'" + roots.at(1) + "': expected one voice folder, found " + std::to_string(voices.size()));
  const std::string folder = voices[0].filename().string();
  const std::size_t last = folder.rfind('_');
  const std::size_t locale_end = folder.find('_', folder.find('_') + 1);
  if (last == std::string::npos || locale_end == std::string::npos)
    throw FormatError("'" + voices[0].string() + "': voice folder not named <locale>_<sex>_<Name>");
  const std::string speaker = "asterisk-" + lower(folder.substr(last + 1));
  const std::string locale = folder.substr(0, locale_end);
  const std::string corpus_lang = corpus_language(locale);
  std::set<std::string> used;
  for (const TranscriptEntry& e : prompts.entries) {
    const fs::path audio = voices[0] / (e.key + ".g722");
    if (e.key.find("..") != std::string::npos || !fs::exists(audio)) {
      ++out.transcripts_without_audio;
      continue;
    }
    out.clips.push_back({audio.string(), speaker + "_" + lang + "_" + file_safe(e.key), speaker, "", corpus_lang, e.text});
    used.insert(audio.string());
  }
  for (const fs::path& f : files_under(voices[0], ".g722"))
    if (!used.count(f.string())) ++out.audio_without_transcript;
  return out;
}

SourceListing fillets(const std::string& lang, const std::vector<std::string>& roots) {
  const fs::path scripts = fs::path(roots.at(0)) / "usr/share/games/fillets-ng/script";
  const fs::path sounds = fs::path(roots.at(1)) / "usr/share/games/fillets-ng/sound";
  SourceListing out;
  std::set<std::string> used;
  for (const fs::path& level : subfolders(scripts)) {
    const fs::path dialogs = level / ("dialogs_" + lang + ".lua");
    if (!fs::exists(dialogs)) continue;
    const Transcripts lines = parse_fillets_dialogs(read_text_file(dialogs.string()));
    out.malformed_lines += lines.malformed;
    for (const TranscriptEntry& e : lines.entries) {
      const fs::path audio = sounds / level.filename() / lang / (e.key + ".ogg");
      if (e.key.find('/') != std::string::npos || !fs::exists(audio)) {
        ++out.transcripts_without_audio;
        continue;
      }
      if (!used.insert(audio.string()).second) continue;  // a line listed twice
      std::string voice = e.speaker.rfind("font_", 0) == 0 ? e.speaker.substr(5) : e.speaker;
      const bool main_fish = voice == "small" || voice == "big";
      const std::string speaker = "fillets-" + lang + "-" + file_safe(voice);
      out.clips.push_back({audio.string(), speaker + "_" + file_safe(level.filename().string() + "_" + e.key), speaker,
                           "", lang, e.text, main_fish});
    }
  }
  for (const fs::path& level : subfolders(sounds)) {
    if (!fs::is_directory(level / lang)) continue;
    for (const fs::path& f : files_under(level / lang, ".ogg"))
      if (!used.count(f.string())) ++out.audio_without_transcript;
  }
  return out;
}

SourceListing tuxpaint(const std::vector<std::string>& roots) {
  const fs::path stamps = fs::path(roots.at(0)) / "usr/share/tuxpaint/stamps";
  SourceListing out;
  std::map<std::string, std::map<std::string, std::string>> descriptions;  // .txt path -> lang -> text
  std::set<std::string> described;  // (stamp, lang) pairs a transcript exists for
  for (const fs::path& audio : files_under(stamps, ".ogg")) {
    const std::string name = audio.filename().string();
    const std::size_t marker = name.rfind("_desc_");
    if (marker == std::string::npos) continue;  // the stamp's sound effect, not speech
    const std::string stamp = name.substr(0, marker);
    const std::string locale = name.substr(marker + 6, name.size() - marker - 6 - 4);
    const fs::path txt = audio.parent_path() / (stamp + ".txt");
    auto cached = descriptions.find(txt.string());
    if (cached == descriptions.end()) {
      std::map<std::string, std::string> by_lang;
      if (fs::exists(txt)) {
        const Transcripts t = parse_tuxpaint_description(read_text_file(txt.string()));
        out.malformed_lines += t.malformed;
        for (const TranscriptEntry& e : t.entries) by_lang[e.key] = e.text;
      }
      cached = descriptions.emplace(txt.string(), std::move(by_lang)).first;
    }
    const auto text = cached->second.find(locale);
    if (text == cached->second.end() || locale.find('.') != std::string::npos) {
      ++out.audio_without_transcript;
      continue;
    }
    const std::string lang = corpus_language(locale);
    const std::string speaker = "tuxpaint-" + file_safe(lang);
    const std::string rel = fs::relative(audio.parent_path(), stamps).string();
    out.clips.push_back({audio.string(), speaker + "_" + file_safe(rel + "_" + stamp), speaker, "", lang, text->second,
                         lang != "fr"});
  }
  return out;
}

// KDE's educational games: one sound list per language. KLettres (`klettres` true): the names
// are what is said, and a language's letters (alpha/) and syllables (syllab/) are labelled as
// two speakers of one group: they may be one person or two (the default encoder tells
// German's two sets apart at 2% EER, Italian's not at all). KTuberling: the names are ids in
// English, not a transcript.
SourceListing kde_sounds(const std::string& source, const fs::path& base, const std::vector<fs::path>& lists,
                         bool klettres) {
  SourceListing out;
  for (const fs::path& list : lists) {
    const std::string locale = list.parent_path() == base ? list.stem().string() : list.parent_path().filename().string();
    if (locale.find('@') != std::string::npos) continue;  // a script variant of the same recordings
    const std::string lang = corpus_language(locale);
    const std::string speaker = source + "-" + file_safe(lang);
    const Transcripts t = parse_kde_sounds(read_text_file(list.string()));
    out.malformed_lines += t.malformed;
    std::set<std::string> used;
    for (const TranscriptEntry& e : t.entries) {
      const fs::path audio = base / e.key;
      if (e.key.find("..") != std::string::npos || !fs::exists(audio)) {
        ++out.transcripts_without_audio;
        continue;
      }
      if (!used.insert(e.key).second) continue;
      const std::string voice = klettres ? speaker + "-" + file_safe(audio.parent_path().filename().string()) : speaker;
      out.clips.push_back({audio.string(), voice + "_" + file_safe(fs::path(e.key).replace_extension().string()), voice,
                           speaker, lang, klettres ? e.text : ""});
    }
  }
  return out;
}

SourceListing klettres(const std::vector<std::string>& roots) {
  const fs::path base = fs::path(roots.at(0)) / "usr/share/klettres";
  std::vector<fs::path> lists;
  for (const fs::path& dir : subfolders(base))
    if (fs::exists(dir / "sounds.xml")) lists.push_back(dir / "sounds.xml");
  return kde_sounds("klettres", base, lists, true);
}

SourceListing ktuberling(const std::vector<std::string>& roots) {
  const fs::path base = fs::path(roots.at(0)) / "usr/share/ktuberling/sounds";
  return kde_sounds("ktuberling", base, files_under(base, ".soundtheme"), false);
}

RealSource asterisk_source(const std::string& lang, const std::string& voices, const std::string& copyright,
                           const std::string& licence) {
  return {"asterisk-" + lang,
          {"asterisk-core-sounds-" + lang, "asterisk-core-sounds-" + lang + "-g722"},
          voices,
          copyright,
          licence,
          [lang](const std::vector<std::string>& roots) { return asterisk(lang, roots); }};
}

RealSource fillets_source(const std::string& lang) {
  return {"fillets-" + lang,
          {"fillets-ng-data", "fillets-ng-data-" + lang},
          "the voice actors of Fish Fillets NG's " + lang + " dubbing (not named in the package)",
          "Ivo Danihelka, Pavel Danihelka, ALTAR interactive and the game's translators",
          "GPL-2",
          [lang](const std::vector<std::string>& roots) { return fillets(lang, roots); }};
}

}  // namespace

std::string corpus_language(const std::string& locale) {
  std::string l = lower(locale);
  std::replace(l.begin(), l.end(), '_', '-');
  if (l == "en-us") return "en";
  if (l == "es-mx") return "es-419";  // espeak-ng's Latin American Spanish
  if (l == "fr-ca") return "fr";      // espeak-ng has no Canadian French
  const std::size_t dash = l.find('-');
  if (dash != std::string::npos && l.substr(0, dash) == l.substr(dash + 1)) return l.substr(0, dash);  // it-it
  return l;
}

std::string read_text_file(const std::string& path) {
  // gzread passes uncompressed files through unchanged.
  const std::unique_ptr<gzFile_s, int (*)(gzFile)> f(gzopen(path.c_str(), "rb"), gzclose);
  if (!f) throw IoError("cannot open '" + path + "'");
  std::string text;
  char buffer[65536];
  for (;;) {
    const int n = gzread(f.get(), buffer, sizeof buffer);
    if (n < 0) throw IoError("cannot read '" + path + "'");
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  return text;
}

const std::vector<RealSource>& real_sources() {
  static const std::vector<RealSource> sources = {
      {"festvox-ru", {"festvox-ru"}, "Nickolay V. Shmyrev (Russian)", "2005 Nickolay V. Shmyrev",
       "BSD-like (festvox)", festvox_ru},
      asterisk_source("en", "Allison Smith (US English)", "2003-2010 Allison Smith", "CC-BY-SA-3.0"),
      asterisk_source("es", "Allison Smith (Mexican Spanish)", "2003-2010 Allison Smith", "CC-BY-SA-3.0"),
      asterisk_source("fr", "June Wallack (Canadian French)", "2006-2008 June Wallack", "CC-BY-SA-3.0"),
      asterisk_source("it", "Carlo Flora (Italian)", "2012 Carlo Flora", "CC-BY-3.0"),
      asterisk_source("ru", "a female voice provided by Maxim Topal, ivrvoice.ru (Russian)", "2010 Maxim (ivrvoice.ru)",
                      "CC-BY-3.0"),
      fillets_source("cs"),
      fillets_source("nl"),
      {"tuxpaint", {"tuxpaint-stamps-default"},
       "Tux Paint's volunteer readers, one per language (two in French; not named in the package)",
       "2002-2022 Bill Kendrick and the Tux Paint contributors", "GPL-2", tuxpaint},
      {"klettres", {"klettres-data"},
       "KLettres' volunteer readers, of letters and of syllables in each language (not named in the package)",
       "2001-2011 Anne-Marie Mahfouf and the KLettres contributors", "GPL-2+", klettres},
      {"ktuberling", {"ktuberling-data"}, "KTuberling's volunteer readers, one per language (not named in the package)",
       "2007-2017 Albert Astals Cid, 1999-2006 Eric Bischoff, the KDE team and contributors", "GPL-2+", ktuberling},
  };
  return sources;
}

const RealSource& real_source(const std::string& name) {
  std::string known;
  for (const RealSource& s : real_sources()) {
    if (s.name == name) return s;
    known += (known.empty() ? "" : ", ") + s.name;
  }
  throw InvalidArgument("unknown real speech source '" + name + "' (known: " + known + ")");
}

}  // namespace dubkit
