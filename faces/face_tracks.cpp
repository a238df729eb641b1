#include "faces/face_tracks.hpp"

#include <map>

#include <opencv2/imgproc.hpp>

#include "video/video_reader.hpp"
#include "video/video_writer.hpp"

namespace dubkit {
namespace {

void draw(cv::Mat& frame, const TrackedFace& f) {
  const cv::Scalar colour = f.track % 2 == 0 ? cv::Scalar(60, 220, 60) : cv::Scalar(60, 160, 255);
  cv::rectangle(frame, f.box, colour, 2, cv::LINE_AA);
  for (const cv::Point2f& p : f.landmarks) cv::circle(frame, p, 2, colour, cv::FILLED, cv::LINE_AA);
  cv::putText(frame, "track " + std::to_string(f.track), f.box.tl() + cv::Point2f(0, -6), cv::FONT_HERSHEY_SIMPLEX, 0.6,
              colour, 2, cv::LINE_AA);
}

}  // namespace

VideoFaces track_video(const std::string& video, const std::string& preview,
                       const std::function<void(long, long)>& progress) {
  VideoReader reader(video);
  VideoFaces out;
  out.width = reader.info().width;
  out.height = reader.info().height;
  out.fps = reader.info().fps;
  const FaceDetector detector;
  const LandmarkModel model;
  FaceTrackerOptions to;
  if (out.fps > 0) to.fps = out.fps;
  FaceTracker tracker(detector, model, to);
  std::unique_ptr<VideoWriter> writer;
  if (!preview.empty()) writer = std::make_unique<VideoWriter>(preview, out.width, out.height, Waveform{}, VideoWriterOptions{},
                                                               std::vector<std::string>{video});
  std::map<int, Landmarks> last_smooth, last_raw;
  double moved_smooth = 0, moved_raw = 0;
  long pairs = 0;
  VideoFrame f;
  while (reader.read(f)) {
    FrameFaces ff{f.index, f.pts, {}};
    std::map<int, Landmarks> smooth, raw;
    for (const TrackedFace& t : tracker.update(f.bgr)) {
      if (!t.valid) continue;
      ff.faces.push_back(t);
      smooth[t.track] = t.landmarks;
      raw[t.track] = t.raw;
      if (last_smooth.count(t.track)) {
        for (int i = 0; i < 68; ++i) {
          moved_smooth += cv::norm(t.landmarks[i] - last_smooth[t.track][i]);
          moved_raw += cv::norm(t.raw[i] - last_raw[t.track][i]);
        }
        pairs += 68;
      }
      if (writer) draw(f.bgr, t);
    }
    last_smooth = std::move(smooth);
    last_raw = std::move(raw);
    if (writer) writer->write(f.bgr, f.pts, f.duration);
    out.frames.push_back(std::move(ff));
    if (progress) progress(f.index + 1, reader.info().frame_count);
  }
  if (writer) writer->finish();
  if (pairs > 0) {
    out.jitter_smoothed = moved_smooth / pairs;
    out.jitter_raw = moved_raw / pairs;
  }
  return out;
}

}  // namespace dubkit
