#include "talking_faces/presenter.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "corpus/engines.hpp"
#include "talking_faces/synthetic_face.hpp"
#include "talking_faces/visemes.hpp"
#include "text/phonemizer.hpp"
#include "video/subtitles.hpp"
#include "video/video_writer.hpp"

namespace fs = std::filesystem;

namespace dubkit {
namespace {

std::vector<std::string> split_tabs(const std::string& row) {
  std::vector<std::string> cells;
  std::stringstream in(row);
  std::string cell;
  while (std::getline(in, cell, '\t')) cells.push_back(cell);
  return cells;
}

}  // namespace

void PresenterOptions::validate() const {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw InvalidArgument("corpus presenter: " + what);
  };
  need(!lines.empty(), "--lines is required");
  need(fs::path(output).extension() == ".mp4", "-o must be an .mp4");
  need(width >= 64 && height >= 64 && width <= 3840 && height <= 2160, "--width/--height must be in 64..3840 x 64..2160");
  need(fps >= 1 && fps <= 120, "--fps must be in [1, 120]");
  need(lead >= 0 && gap >= 0 && tail >= 0 && lead + gap + tail < 60, "--lead, --gap and --tail must be non-negative seconds");
}

PresenterReport render_presenter(const PresenterOptions& o) {
  o.validate();
  std::ifstream in(o.lines);
  if (!in) throw IoError("cannot open '" + o.lines + "'");
  std::string row;
  std::vector<std::vector<std::string>> rows;
  while (std::getline(in, row)) {
    if (!row.empty() && row.back() == '\r') row.pop_back();
    if (!row.empty()) rows.push_back(split_tabs(row));
  }
  if (rows.size() < 2) throw FormatError(o.lines + ": needs a header row of languages and at least one line");
  const std::vector<std::string> langs = rows.front();
  for (std::size_t r = 1; r < rows.size(); ++r)
    if (rows[r].size() != langs.size())
      throw FormatError(o.lines + ": row " + std::to_string(r + 1) + " has " + std::to_string(rows[r].size()) +
                        " cells, the header " + std::to_string(langs.size()));
  BaseVoice voice;
  for (const BaseVoice& v : base_voices({langs.front()}))
    if (v.id == o.voice) voice = v;
  if (voice.id.empty()) throw InvalidArgument("corpus presenter: --voice '" + o.voice + "' is not a " + langs.front() + " base voice");

  // Speech on one timeline; the spans of each line's phones.
  Waveform audio;
  std::vector<TimedPhone> phones;
  std::vector<std::pair<double, double>> spans;
  auto silence = [&](double s) { audio.samples.insert(audio.samples.end(), static_cast<std::size_t>(std::lround(s * audio.rate)), 0.f); };
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const Phonemes ph = phonemize(rows[r].front(), espeak_language(langs.front()));
    const SpokenUtterance u = speak(voice, ph.normalized, o.seed + static_cast<unsigned>(r));
    if (audio.rate == 0) {
      audio.rate = u.wave.rate;
      silence(o.lead);
    } else {
      silence(o.gap);
    }
    const double offset = audio.seconds();
    double first = -1, last = -1;
    for (const PhoneSpan& p : u.phones) {
      phones.push_back({p.phone, offset + p.start, offset + p.end});
      if (p.phone == "_") continue;
      if (first < 0) first = offset + p.start;
      last = offset + p.end;
    }
    if (first < 0) throw FormatError(o.lines + ": row " + std::to_string(r + 1) + " was spoken without a phone");
    spans.emplace_back(first, last);
    audio.samples.insert(audio.samples.end(), u.wave.samples.begin(), u.wave.samples.end());
  }
  silence(o.tail);

  const FaceIdentity id = FaceIdentity::random(o.identity);
  VideoWriterOptions vo;
  vo.metadata["comment"] = "dubkit synthetic presenter (procedural face, synthetic voice " + voice.id + "; no real person)";
  VideoWriter writer(o.output, o.width, o.height, audio, vo, {o.lines});
  const int frames = static_cast<int>(std::ceil(audio.seconds() * o.fps));
  const std::vector<MouthShape> mouths = mouth_track(phones, o.fps, frames);
  for (int i = 0; i < frames; ++i) {
    const double t = i / o.fps;
    writer.write(render_face(id, head_motion_at(o.identity, t), mouths[i], cv::Size(o.width, o.height)), t);
  }
  writer.finish();

  PresenterReport rep;
  rep.seconds = audio.seconds();
  rep.lines = static_cast<int>(spans.size());
  const fs::path out(o.output);
  for (std::size_t c = 0; c < langs.size(); ++c) {
    std::string srt;
    for (std::size_t r = 1; r < rows.size(); ++r)
      srt += std::to_string(r) + "\n" + subtitle_time(spans[r - 1].first, ',') + " --> " + subtitle_time(spans[r - 1].second, ',') + "\n" +
             rows[r][c] + "\n\n";
    const std::string path = (out.parent_path() / (out.stem().string() + "." + langs[c] + ".srt")).string();
    write_file_atomic(path, srt);
    rep.scripts.push_back(path);
  }
  return rep;
}

}  // namespace dubkit
