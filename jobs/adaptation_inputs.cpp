#include "jobs/adaptation_inputs.hpp"

#include <algorithm>
#include <filesystem>

#include "core/error.hpp"
#include "core/utf8.hpp"
#include "dub/script.hpp"
#include "provenance/crypto.hpp"

namespace dubkit {

namespace fs = std::filesystem;

namespace {

bool is_audio(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".wav" || ext == ".flac" || ext == ".ogg" || ext == ".mp3";
}

// The transcript's text, whitespace collapsed; "" when it has none.
std::string read_transcript(const std::string& path) {
  const std::string raw = read_small_file(path, 64 * 1024, "transcript");
  if (const std::size_t bad = first_invalid_utf8(raw); bad != std::string::npos)
    throw FormatError(path + ": not UTF-8 text (byte " + std::to_string(bad) + ")");
  std::string text;
  for (const char c : raw) {
    const bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    if (!space) text += c;
    else if (!text.empty() && text.back() != ' ') text += ' ';
  }
  if (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

}  // namespace

std::vector<std::string> adaptation_recordings(const std::vector<std::string>& audio) {
  std::vector<std::string> out;
  for (const std::string& a : audio) {
    std::error_code ec;
    if (fs::is_directory(a, ec)) {
      std::vector<std::string> found;
      for (const auto& e : fs::directory_iterator(a))
        if (e.is_regular_file() && is_audio(e.path())) found.push_back(e.path().string());
      if (found.empty()) throw InvalidArgument("voice adapt: the folder " + a + " holds no .wav, .flac, .ogg or .mp3 file");
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(a, ec)) {
      out.push_back(a);
    } else {
      throw InvalidArgument("voice adapt: --audio " + a + " does not exist");
    }
  }
  return out;
}

std::vector<AdaptationClip> adaptation_clips(const std::vector<std::string>& recordings, const std::string& script,
                                             const std::string& transcripts_dir) {
  std::vector<AdaptationClip> clips;
  if (!script.empty()) {
    if (recordings.size() != 1)
      throw InvalidArgument("voice adapt: a script (--text " + script + ") times one recording; " +
                            std::to_string(recordings.size()) + " were given");
    const std::string name = fs::path(recordings[0]).filename().string();
    for (const ScriptLine& line : read_script(script).lines)
      clips.push_back({recordings[0], line.text, line.start, line.end, name + " cue " + std::to_string(line.index)});
    return clips;
  }
  std::string missing;
  for (const std::string& r : recordings) {
    const fs::path p(r);
    const fs::path txt = transcripts_dir.empty() ? fs::path(p).replace_extension(".txt")
                                                 : fs::path(transcripts_dir) / (p.stem().string() + ".txt");
    std::error_code ec;
    const std::string text = fs::is_regular_file(txt, ec) ? read_transcript(txt.string()) : "";
    if (text.empty()) {
      missing += (missing.empty() ? "" : ", ") + to_valid_utf8(txt.string());
      continue;
    }
    clips.push_back({r, text, 0, -1, p.filename().string()});
  }
  if (!missing.empty())
    throw InvalidArgument("voice adapt: adaptation needs a transcript of every recording (what is said in it); none in " +
                          missing + " (give them as NAME.txt, --transcripts DIR or a subtitle file with --text)");
  return clips;
}

}  // namespace dubkit
