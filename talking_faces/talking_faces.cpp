#include "talking_faces/talking_faces.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include <opencv2/imgcodecs.hpp>

#include "audio/io.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "corpus/manifest.hpp"
#include "corpus/perturb.hpp"
#include "faces/alignment.hpp"
#include "faces/tracker.hpp"
#include "talking_faces/synthetic_face.hpp"
#include "talking_faces/visemes.hpp"
#include "video/video_reader.hpp"
#include "video/video_writer.hpp"

namespace fs = std::filesystem;

namespace dubkit {
namespace {

// Utterances longer than this make clips too big for the trainers' memory budget and add
// little: a few seconds hold several words.
constexpr double kMaxClipSeconds = 8.0;

}  // namespace

// Identity seeds per split, disjoint: train faces never appear in val or test clips.
std::uint64_t talking_face_identity(const TalkingFacesOptions& o, const CorpusUtterance& u) {
  const int val = std::max(1, o.identities / 10), test = std::max(1, o.identities / 10);
  const int train = std::max(1, o.identities - val - test);
  const std::uint64_t h = stable_hash(u.id, o.seed);
  std::uint64_t base = 0, pool = static_cast<std::uint64_t>(train);
  if (u.split == "val") base = train, pool = val;
  if (u.split == "test") base = static_cast<std::uint64_t>(train + val), pool = test;
  return stable_hash("identity", o.seed) + base + h % pool;
}

// Frame i, shown at i / fps, has the mouth of the phones at that instant.
void render_talking_face(const TalkingFacesOptions& o, const CorpusUtterance& u, std::uint64_t identity_seed,
                         const Waveform& audio, const std::string& path) {
  const FaceIdentity id = FaceIdentity::random(identity_seed);
  std::vector<TimedPhone> phones;
  for (const PhoneSpan& p : u.phones) phones.push_back({p.phone, p.start, p.end});
  VideoWriterOptions vo;
  vo.metadata["comment"] = "dubkit synthetic talking face (no real person); utterance " + u.id;
  VideoWriter writer(path, o.width, o.height, audio, vo);
  const int frames = static_cast<int>(std::ceil(audio.seconds() * o.fps));
  const std::vector<MouthShape> mouths = mouth_track(phones, o.fps, frames);
  for (int i = 0; i < frames; ++i) {
    const double t = i / o.fps;
    writer.write(render_face(id, head_motion_at(identity_seed, t), mouths[i], cv::Size(o.width, o.height)), t);
  }
  writer.finish();
}

namespace {

// Decodes the clip as inference would see it and stores its aligned crops, stacked.
void prepare_clip(const TalkingFacesOptions& o, const FaceDetector& detector, const LandmarkModel& landmarks,
                  const std::string& video, const std::string& crops_path, FaceClip& clip) {
  VideoReader reader(video);
  FaceTrackerOptions to;
  to.fps = o.fps;
  FaceTracker tracker(detector, landmarks, to);
  std::vector<cv::Mat> crops;
  VideoFrame frame;
  while (reader.read(frame)) {
    const std::vector<TrackedFace> faces = tracker.update(frame.bgr);
    const TrackedFace* face = nullptr;
    for (const TrackedFace& f : faces)
      if (f.valid) {
        face = &f;
        break;
      }
    const bool found = face != nullptr;
    crops.push_back(found ? warp_to_crop(frame.bgr, align_face(face->landmarks, o.face_size))
                          : cv::Mat(o.face_size, o.face_size, CV_8UC3, cv::Scalar::all(0)));
    clip.times.push_back(frame.pts);
    clip.valid.push_back(found);
  }
  if (crops.empty()) throw FormatError(video + ": no frame decoded");
  cv::Mat stacked;
  cv::vconcat(crops, stacked);
  const std::string tmp = crops_path + ".tmp.png";
  if (!cv::imwrite(tmp, stacked)) throw IoError(crops_path + ": cannot write the crops image");
  fs::rename(tmp, crops_path);
}

}  // namespace

void TalkingFacesOptions::validate() const {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw InvalidArgument("corpus faces: " + what);
  };
  need(!corpus_dir.empty(), "--corpus is required");
  need(!out_dir.empty(), "--out is required");
  need(clips >= 1 && clips <= 100000, "--clips must be in 1..100000");
  need(identities >= 3, "--identities must be at least 3 (train, val and test each need one)");
  need(face_size == 96 || face_size == 128 || face_size == 192 || face_size == 256, "--face-size must be 96, 128, 192 or 256");
  need(fps >= 10 && fps <= 60, "--fps must be in [10, 60]");
  need(width >= 128 && height >= 128 && width <= 3840 && height <= 2160, "frame size must be 128x128 .. 3840x2160");
}

TalkingFacesReport build_talking_faces(const TalkingFacesOptions& o, const std::function<void(int, int)>& progress) {
  o.validate();
  fs::create_directories(o.out_dir + "/clips");
  fs::create_directories(o.out_dir + "/crops");
  // Utterances in a seeded order, so --clips N takes an unbiased sample of every split.
  std::vector<CorpusUtterance> utterances;
  for (CorpusUtterance& u : read_manifest(o.corpus_dir))
    if (u.duration <= kMaxClipSeconds && !u.phones.empty()) utterances.push_back(std::move(u));
  std::mt19937_64 rng(stable_hash("faces-order", o.seed));
  std::shuffle(utterances.begin(), utterances.end(), rng);
  if (static_cast<int>(utterances.size()) > o.clips) utterances.resize(o.clips);
  if (utterances.empty()) throw InvalidArgument("corpus faces: " + o.corpus_dir + " has no utterance with phones under 8 s");

  const FaceDetector detector;
  const LandmarkModel landmarks;
  TalkingFacesReport rep;
  std::string manifest;
  int done = 0;
  for (const CorpusUtterance& u : utterances) {
    FaceClip c;
    c.identity = talking_face_identity(o, u);
    c.id = u.id + "_f" + std::to_string(c.identity % 100000);
    c.split = u.split;
    c.utterance = u.id;
    c.audio = u.path;
    c.video = "clips/" + c.id + ".mp4";
    c.crops = "crops/" + c.id + ".png";
    c.face_size = o.face_size;
    c.fps = o.fps;
    const Waveform audio = read_mono(o.corpus_dir + "/" + u.path);
    render_talking_face(o, u, c.identity, audio, o.out_dir + "/" + c.video);
    prepare_clip(o, detector, landmarks, o.out_dir + "/" + c.video, o.out_dir + "/" + c.crops, c);
    rep.frames += static_cast<long>(c.times.size());
    rep.tracked += std::count(c.valid.begin(), c.valid.end(), true);
    rep.seconds += audio.seconds();
    manifest += to_json_line(c) + "\n";
    ++rep.clips;
    if (progress) progress(++done, static_cast<int>(utterances.size()));
  }
  write_file_atomic(o.out_dir + "/manifest.jsonl", manifest);
  return rep;
}

}  // namespace dubkit
