#include "sync/manipulate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "core/error.hpp"
#include "video/video_reader.hpp"
#include "video/video_writer.hpp"

namespace dubkit {
namespace {

void reencode(const std::string& video, Waveform audio, const std::string& output) {
  VideoReader reader(video);
  const VideoInfo& info = reader.info();
  // The sound lasts as long as the picture.
  const auto n = static_cast<std::size_t>(std::lround(info.duration * audio.rate));
  if (n > 0) audio.samples.resize(n, 0.f);
  VideoWriterOptions o;
  o.time_base_num = info.time_base_num;
  o.time_base_den = info.time_base_den;
  o.metadata = info.metadata;
  VideoWriter writer(output, info.width, info.height, audio, o, {video});
  VideoFrame f;
  while (reader.read(f)) writer.write(f.bgr, f.pts, f.duration);
  writer.finish();
}

// Seconds per frame from the first frames' timestamps: the container's average rate is not
// always the frame step (an MP4 whose stated duration runs past its last frame reads as 24.5
// fps for a 25 fps clip).
double frame_step(const std::string& video) {
  VideoReader r(video);
  std::vector<double> steps;
  VideoFrame f;
  double last = NAN;
  while (steps.size() < 10 && r.read(f)) {
    if (std::isfinite(last)) steps.push_back(f.pts - last);
    last = f.pts;
  }
  if (steps.empty()) return r.info().fps > 0 ? 1.0 / r.info().fps : 1.0 / 25;
  std::nth_element(steps.begin(), steps.begin() + steps.size() / 2, steps.end());
  return steps[steps.size() / 2];
}

}  // namespace

void shift_audio(const std::string& video, int frames, const std::string& output) {
  if (std::abs(frames) > 1000) throw InvalidArgument("sync shift: --frames must be within +/-1000");
  const VideoInfo info = VideoReader(video).info();
  if (!info.has_audio) throw FormatError(video + ": no audio track to shift");
  Waveform a = read_audio_track(video, info.audio_rate);
  const auto n = static_cast<std::size_t>(std::lround(std::abs(frames) * a.rate * frame_step(video)));
  if (frames > 0) a.samples.insert(a.samples.begin(), n, 0.f);
  if (frames < 0) a.samples.erase(a.samples.begin(), a.samples.begin() + std::min(n, a.samples.size()));
  reencode(video, std::move(a), output);
}

void replace_audio(const std::string& video, const Waveform& audio, const std::string& output) {
  reencode(video, audio, output);
}

}  // namespace dubkit
