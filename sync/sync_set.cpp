#include "sync/sync_set.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>

#include "audio/io.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "corpus/manifest.hpp"
#include "lipsync/lipsync_video.hpp"
#include "sync/csv.hpp"
#include "sync/detection_eval.hpp"
#include "sync/manipulate.hpp"
#include "talking_faces/talking_faces.hpp"
#include "video/video_reader.hpp"

namespace fs = std::filesystem;

namespace dubkit {
namespace {

std::string variant_name(const std::string& manipulation, int shift) {
  return manipulation == "shift" ? shift_name(shift) : manipulation;
}

// `audio` cut or padded with silence to `seconds`.
Waveform fitted(Waveform audio, double seconds) {
  audio.samples.resize(static_cast<std::size_t>(std::lround(seconds * audio.rate)), 0.f);
  return audio;
}

}  // namespace

void SyncSetOptions::validate() const {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw InvalidArgument("sync make-set: " + what);
  };
  need(!corpus_dir.empty(), "--corpus is required");
  need(!out_dir.empty(), "--out is required");
  need(clips >= 2 && clips <= 10000, "--clips must be in 2..10000");
  need(min_shift <= max_shift && min_shift >= -50 && max_shift <= 50, "--min-shift..--max-shift must be an interval within -50..50");
  need(min_seconds >= 0.5 && min_seconds <= 8, "--min-seconds must be in 0.5..8");
  need(!dub || !lipsync_model.empty(), "--model is required for dubbed clips");
  need(width >= 128 && height >= 128 && width <= 1920 && height <= 1080, "frame size must be 128x128 .. 1920x1080");
}

SyncSetReport make_sync_set(const SyncSetOptions& o, const std::function<void(int, int)>& progress) {
  o.validate();
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<CorpusUtterance> pool;
  for (CorpusUtterance& u : read_manifest(o.corpus_dir))
    if (u.split == o.split && !u.phones.empty() && u.duration >= o.min_seconds && u.duration <= 8.0)
      pool.push_back(std::move(u));
  std::mt19937_64 rng(o.seed);
  std::shuffle(pool.begin(), pool.end(), rng);
  if (static_cast<int>(pool.size()) > o.clips) pool.resize(o.clips);
  const auto speakers = [&] {
    std::vector<std::string> s;
    for (const auto& u : pool) s.push_back(u.speaker);
    std::sort(s.begin(), s.end());
    return std::unique(s.begin(), s.end()) - s.begin();
  }();
  if (pool.size() < 2 || speakers < 2)
    throw InvalidArgument("sync make-set: " + o.corpus_dir + " has " + std::to_string(pool.size()) + " usable " + o.split +
                          " utterances from " + std::to_string(speakers) +
                          " speakers (2 s .. 8 s with phone timings); at least 2 of each are needed");
  fs::create_directories(o.out_dir + "/sources");
  fs::create_directories(o.out_dir + "/clips");
  TalkingFacesOptions faces;
  faces.width = o.width;
  faces.height = o.height;
  faces.seed = o.seed;

  SyncSetReport rep;
  std::string labels = csv_row({"file", "label", "manipulation", "shift_frames", "identity", "speaker", "audio_speaker",
                                "audio_utterance", "source"});
  std::string list;
  // Every source first: the swapped and dubbed clips take another source's sound, so theirs
  // has been through AAC as often as everyone else's.
  std::vector<std::string> ids, sources;
  std::vector<std::uint64_t> identities;
  for (const CorpusUtterance& u : pool) {
    identities.push_back(talking_face_identity(faces, u));
    ids.push_back(u.id + "_f" + std::to_string(identities.back() % 100000));
    sources.push_back(o.out_dir + "/sources/" + ids.back() + ".mp4");
    render_talking_face(faces, u, identities.back(), read_mono(o.corpus_dir + "/" + u.path), sources.back());
    if (progress) progress(static_cast<int>(sources.size()), 2 * static_cast<int>(pool.size()));
  }
  for (std::size_t i = 0; i < pool.size(); ++i) {
    const CorpusUtterance& u = pool[i];
    const std::uint64_t identity = identities[i];
    const std::string& id = ids[i];
    const std::string& source = sources[i];
    // Another speaker's utterance, the next one in the seeded order.
    std::size_t other_index = i;
    for (std::size_t k = 1; k < pool.size() && other_index == i; ++k)
      if (pool[(i + k) % pool.size()].speaker != u.speaker) other_index = (i + k) % pool.size();
    const CorpusUtterance* other = &pool[other_index];
    const VideoInfo info = VideoReader(source).info();
    const Waveform other_audio = fitted(read_audio_track(sources[other_index], info.audio_rate), info.duration);

    auto add = [&](const std::string& manipulation, int shift, const CorpusUtterance& heard) {
      const std::string file = "clips/" + id + "." + variant_name(manipulation, shift) + ".mp4";
      const bool real = manipulation == "original";
      labels += csv_row({file, real ? "real" : "fake", manipulation, std::to_string(shift), std::to_string(identity),
                         u.speaker, heard.speaker, heard.id, "sources/" + id + ".mp4"});
      list += file + "\n";
      ++rep.files;
      (real ? rep.real : rep.fake)++;
      return o.out_dir + "/" + file;
    };
    shift_audio(source, 0, add("original", 0, u));
    for (int k = o.min_shift; k <= o.max_shift; ++k)
      if (k != 0) shift_audio(source, k, add("shift", k, u));
    if (o.swap) replace_audio(source, other_audio, add("swap", 0, *other));
    if (o.dub) {
      const std::string speech = o.out_dir + "/sources/" + id + ".dub.wav";
      write_audio(speech, other_audio);
      LipSyncVideoOptions l;
      l.video = source;
      l.audio = speech;
      l.output = add("dub", 0, *other);
      l.model = o.lipsync_model;
      l.encode.metadata["comment"] = "dubkit synthetic talking face (no real person), lip-synced by dubkit to utterance " + other->id;
      lipsync_video(l);
    }
    ++rep.sources;
    if (progress) progress(static_cast<int>(pool.size() + i + 1), 2 * static_cast<int>(pool.size()));
  }
  write_file_atomic(o.out_dir + "/labels.csv", labels);
  write_file_atomic(o.out_dir + "/list.txt", list);
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

}  // namespace dubkit
