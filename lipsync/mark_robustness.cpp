#include "lipsync/mark_robustness.hpp"

#include <cmath>
#include <filesystem>
#include <map>
#include <random>

#include "audio/io.hpp"
#include "core/error.hpp"
#include "lipsync/lipsync_video.hpp"
#include "provenance/video_watermark.hpp"
#include "video/transcode.hpp"
#include "video/video_reader.hpp"

namespace dubkit {

namespace fs = std::filesystem;

namespace {

struct Attack {
  std::string name;
  int height = 0;          // 0 = keep
  double rate_share = 0;   // of the marked clip's bit rate; 0 = constant rate factor 23
  bool match_crf = false;  // the lowest CRF whose bit rate is at most rate_share of the clip's
};

const std::vector<Attack>& attacks() {
  static const std::vector<Attack> a = {
      {"none (as delivered)", -1, 0, false},
      {"H.264 half bit rate, one-pass ABR", 0, 0.5, false},
      {"H.264 half bit rate, constant quality", 0, 0.5, true},
      {"scaled to 720p, H.264 CRF 23", 720, 0, false},
      {"scaled to 480p, H.264 CRF 23", 480, 0, false},
      {"scaled to 480p, half bit rate, one-pass ABR", 480, 0.5, false},
  };
  return a;
}

long bit_rate_of(const std::string& path) { return VideoReader(path).info().video_bit_rate; }

// `in` re-encoded by `a` into `out`; returns `out` (or `in` for "none").
std::string apply(const Attack& a, const std::string& in, const std::string& out, long source_rate) {
  if (a.height < 0) return in;
  TranscodeOptions t;
  t.height = a.height;
  if (a.rate_share > 0 && !a.match_crf) t.bit_rate = std::lround(a.rate_share * source_rate);
  if (!a.match_crf) {
    transcode_video(in, out, t);
    return out;
  }
  // Constant quality at half the rate: CRF rises in steps of 2 from 23 until the rate is low enough.
  for (t.crf = 23; t.crf <= 51; t.crf += 2) {
    transcode_video(in, out, t);
    if (bit_rate_of(out) <= a.rate_share * source_rate) break;
  }
  return out;
}

WatermarkKey random_key(std::mt19937_64& rng) {
  WatermarkKey k;
  for (auto& b : k.bytes) b = static_cast<unsigned char>(rng() & 0xff);
  return k;
}

}  // namespace

VideoMarkReport evaluate_video_mark(const std::vector<std::string>& clips, const VideoMarkRobustnessOptions& o) {
  if (clips.empty()) throw InvalidArgument("video mark robustness: no clips");
  if (o.work_dir.empty()) throw InvalidArgument("video mark robustness: no work directory");
  fs::create_directories(o.work_dir);
  std::mt19937_64 rng(o.seed);
  VideoMarkReport report;
  for (const Attack& a : attacks()) report.attacks.push_back(VideoMarkTally{a.name});
  double error = 0;
  long pixels = 0;
  for (std::size_t i = 0; i < clips.size(); ++i) {
    const WatermarkKey key = random_key(rng);
    const std::string id = "clip-" + std::to_string(i);
    const std::string speech = o.work_dir + "/speech.wav", marked = o.work_dir + "/marked.mp4",
                      attacked = o.work_dir + "/attacked.mp4", plain = o.work_dir + "/unmarked.mp4";
    write_audio(speech, read_audio_track(clips[i], 16000));
    // Lip-sync the whole clip with the mark, counting each second's frames and marked frames.
    VideoMarker marker(key, "robustness", id);
    std::map<long, std::pair<long, long>> seconds;  // second -> (frames, marked)
    LipSyncVideoOptions l;
    l.video = clips[i];
    l.audio = speech;
    l.output = marked;
    l.model = o.model;
    l.mark = [&](cv::Mat& bgr, const cv::Mat& region, double pts) {
      const cv::Mat before = bgr.clone();
      marker.mark(bgr, region, pts);
      cv::Mat diff;
      cv::absdiff(before, bgr, diff);
      diff.convertTo(diff, CV_64F);
      error += cv::sum(diff.mul(diff))[0] / 3;  // one channel's worth: the mark adds the same to B, G, R
      pixels += cv::countNonZero(region);
      ++seconds[static_cast<long>(std::floor(pts + 1e-3))].second;
      ++report.frames_marked;
    };
    l.on_frame = [&](const cv::Mat&, const Landmarks*, double pts) { ++seconds[static_cast<long>(std::floor(pts + 1e-3))].first; };
    lipsync_video(l);
    l.mark = {};
    l.on_frame = {};
    l.output = plain;
    lipsync_video(l);
    const long marked_rate = bit_rate_of(marked), plain_rate = bit_rate_of(plain);
    for (std::size_t k = 0; k < attacks().size(); ++k) {
      const Attack& a = attacks()[k];
      VideoMarkTally& t = report.attacks[k];
      const std::string m = apply(a, marked, attacked, marked_rate);
      t.bit_rate_ratio += double(bit_rate_of(m)) / marked_rate / clips.size();
      for (const VideoMarkSecond& s : detect_video_watermark(m, key, o.max_false_positive)) {
        const auto it = seconds.find(s.second);
        if (it == seconds.end() || it->second.first == 0 || it->second.second < it->second.first) continue;
        ++t.expected;
        if (!s.found) continue;
        ++t.found;
        if (s.payload == watermark_payload(key, "robustness", id, static_cast<std::uint64_t>(s.second))) ++t.exact;
      }
      const std::string u = apply(a, plain, attacked, plain_rate);
      for (const VideoMarkSecond& s : detect_video_watermark(u, key, o.max_false_positive)) {
        ++t.unmarked;
        t.false_positives += s.found ? 1 : 0;
      }
    }
    for (const std::string& f : {speech, marked, attacked, plain}) fs::remove(f);
    if (o.progress) o.progress("clip " + std::to_string(i + 1) + "/" + std::to_string(clips.size()) + ": " + clips[i]);
  }
  report.clips = static_cast<long>(clips.size());
  report.region_psnr_db = pixels && error > 0 ? 10 * std::log10(255.0 * 255.0 * pixels / error) : INFINITY;
  return report;
}

}  // namespace dubkit
