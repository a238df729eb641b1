#include "train/face_data.hpp"

#include <opencv2/imgcodecs.hpp>

#include <cstdlib>

#include "audio/io.hpp"
#include "audio/mel_preset.hpp"
#include "core/error.hpp"
#include "lipsync/inputs.hpp"
#include "talking_faces/talking_faces.hpp"

namespace dubkit {

std::vector<FaceClipData> load_face_data(const std::string& faces_dir, const std::string& corpus_dir,
                                         const std::string& split, int face_size, int frames, int max_clips,
                                         int margin_frames) {
  const MelAnalyzer analyzer(mel_preset("wav2lip-16k"));
  std::vector<FaceClipData> out;
  for (const FaceClip& c : read_face_clips(faces_dir)) {
    if (c.split != split) continue;
    if (max_clips > 0 && static_cast<int>(out.size()) >= max_clips) break;
    if (face_size == 0) face_size = c.face_size;
    if (c.face_size != face_size)
      throw InvalidArgument(faces_dir + ": clip " + c.id + " has " + std::to_string(c.face_size) + "-pixel crops, the model needs " +
                            std::to_string(face_size) + " (rebuild with corpus faces --face-size " + std::to_string(face_size) + ")");
    const std::string crops_path = faces_dir + "/" + c.crops;
    const cv::Mat img = cv::imread(crops_path, cv::IMREAD_COLOR);
    if (img.empty()) throw IoError(crops_path + ": cannot read the crops image");
    const long n = static_cast<long>(c.times.size());
    if (img.cols != face_size || img.rows != n * face_size)
      throw FormatError(crops_path + ": " + std::to_string(img.cols) + "x" + std::to_string(img.rows) + " pixels, expected " +
                        std::to_string(face_size) + "x" + std::to_string(n * face_size) + " for " + std::to_string(n) + " frames");
    FaceClipData d;
    d.id = c.id;
    // from_blob over `img`, alive until clone() below has copied it.
    d.crops = torch::from_blob(img.data, {n, face_size, face_size, 3}, torch::kUInt8).permute({0, 3, 1, 2}).clone();
    d.valid = c.valid;
    d.times = c.times;
    d.fps = c.fps;
    const std::string audio_path = corpus_dir + "/" + c.audio;
    const Waveform w = read_mono(audio_path);
    if (w.rate != analyzer.preset().sample_rate)
      throw FormatError(audio_path + ": " + std::to_string(w.rate) + " Hz, wav2lip-16k needs 16000");
    d.mel = analyzer.compute(w);
    const double margin = margin_frames / c.fps;
    for (long t = 0; t + frames <= n; ++t) {
      bool ok = true;
      for (long k = 0; k < frames && ok; ++k)
        ok = d.valid[t + k] && std::lround((d.times[t + k] - margin) * kMelFramesPerSecond) >= 0 &&
             std::lround((d.times[t + k] + margin) * kMelFramesPerSecond) + kMelWindow <= d.mel.cols;
      if (ok) d.starts.push_back(t);
    }
    if (!d.starts.empty()) out.push_back(std::move(d));
  }
  return out;
}

torch::Tensor window_crops(const FaceClipData& clip, long t, int frames) {
  return clip.crops.narrow(0, t, frames).to(torch::kFloat32).div(255.0);
}

long draw_start(const FaceClipData& clip, std::mt19937_64& rng, long avoid, long min_distance) {
  const auto& s = clip.starts;
  if (avoid < 0) return s[rng() % s.size()];
  std::vector<long> far;
  for (long t : s)
    if (std::labs(t - avoid) >= min_distance) far.push_back(t);
  if (!far.empty()) return far[rng() % far.size()];
  return std::labs(s.front() - avoid) > std::labs(s.back() - avoid) ? s.front() : s.back();
}

}  // namespace dubkit
