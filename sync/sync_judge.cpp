#include "sync/sync_judge.hpp"

#include <torch/torch.h>

#include <cmath>
#include <utility>

#include <opencv2/imgproc.hpp>

#include "audio/mel_preset.hpp"
#include "core/weight_file.hpp"
#include "faces/alignment.hpp"
#include "lipsync/inputs.hpp"
#include "sync/expert_files.hpp"
#include "sync/syncnet_v2.hpp"

namespace dubkit {
namespace {

// The windows of `features` starting at `seconds`, `rate` feature frames per second and `width`
// frames each: [B, 1, rows, width]. Every window must be covered.
torch::Tensor feature_windows(const FeatureMatrix& f, double rate, int width, const std::vector<double>& seconds) {
  // from_blob does not own: `f` outlives this call and stack() copies.
  const torch::Tensor m = torch::from_blob(const_cast<float*>(f.data.data()), {f.rows, f.cols});
  std::vector<torch::Tensor> w;
  w.reserve(seconds.size());
  for (double t : seconds) w.push_back(m.narrow(1, std::lround(t * rate), width));
  if (w.empty()) return torch::empty({0, 1, f.rows, width});
  return torch::stack(w).unsqueeze(1);
}

bool window_inside(const FeatureMatrix& f, double rate, int width, double seconds) {
  const long start = std::lround(seconds * rate);
  return start >= 0 && start + width <= f.cols;
}

class DubkitJudge final : public SyncJudge {
 public:
  explicit DubkitJudge(SyncNet net) : net_(std::move(net)), mel_(mel_preset(net_->config().mel_preset)) {}
  std::string name() const override { return "dubkit"; }
  int frames() const override { return net_->config().frames; }
  torch::Tensor crop(const cv::Mat& bgr, const Landmarks& landmarks) const override {
    const cv::Mat crop = warp_to_crop(bgr, align_face(landmarks, 96));
    // from_blob over `crop`, alive until clone() has copied its lower half.
    return torch::from_blob(crop.data, {96, 96, 3}, torch::kUInt8).narrow(0, 48, 48).permute({2, 0, 1}).clone();
  }
  torch::Tensor embed_faces(const torch::Tensor& windows) override {
    // [B, 5, 3, 48, 96] -> [B, 15, 48, 96]: frames concatenated along channels, in time order.
    const auto s = windows.sizes();
    return net_->embed_faces(windows.reshape({s[0], s[1] * s[2], s[3], s[4]}).to(torch::kFloat32).div(255.0));
  }
  FeatureMatrix features(const Waveform& speech16k) const override { return mel_.compute(speech16k); }
  bool covers(const FeatureMatrix& f, double seconds) const override {
    return window_inside(f, kMelFramesPerSecond, kMelWindow, seconds);
  }
  torch::Tensor embed_audio(const FeatureMatrix& f, const std::vector<double>& seconds) override {
    return net_->embed_audio(feature_windows(f, kMelFramesPerSecond, kMelWindow, seconds));
  }
  bool pads_edges() const override { return false; }

 private:
  SyncNet net_;
  MelAnalyzer mel_;
};

// The public pipeline crops around the S3FD face box (centre and half-side s, median-filtered
// over 13 frames): rows centre-s .. centre+1.8s, columns centre +/- 1.4s, padding with grey 110,
// then resizes to 224 x 224. dubkit has landmarks, not S3FD boxes; the box here is taken from
// points speech does not move (a mouth opening must not change the crop): centred on the nose
// tip, as wide as the jaw at eye level (points 0 and 16).
class SyncNetV2Judge final : public SyncJudge {
 public:
  explicit SyncNetV2Judge(SyncNetV2 net) : net_(std::move(net)), mfcc_(mel_preset("syncnet-mfcc")) {}
  std::string name() const override { return "syncnet_v2"; }
  int frames() const override { return 5; }
  torch::Tensor crop(const cv::Mat& bgr, const Landmarks& l) const override {
    constexpr double kCropScale = 0.4;  // the public --crop_scale
    const double s = 0.5 * std::hypot(l[16].x - l[0].x, l[16].y - l[0].y);
    const double cx = 0.5 * (l[0].x + l[16].x), cy = l[30].y;
    // region: x0 .. x0 + 2.8s, y0 .. y0 + 2.8s (square). Sampled straight from the frame, pixel
    // centres mapped as a crop-then-resize maps them, grey where the region leaves the frame.
    const double x0 = cx - s * (1 + kCropScale), y0 = cy - s, scale = 2 * s * (1 + kCropScale) / 224.0;
    const cv::Matx23d to_src(scale, 0, x0 + 0.5 * scale - 0.5, 0, scale, y0 + 0.5 * scale - 0.5);
    cv::Mat face;
    cv::warpAffine(bgr, face, to_src, cv::Size(224, 224), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT,
                   cv::Scalar(110, 110, 110));
    // from_blob over `face`, alive until clone() has copied it.
    return torch::from_blob(face.data, {224, 224, 3}, torch::kUInt8).permute({2, 0, 1}).clone();
  }
  torch::Tensor embed_faces(const torch::Tensor& windows) override {
    // [B, 5, 3, 224, 224] -> [B, 3, 5, 224, 224], pixel values unscaled as the public code feeds them.
    return net_->embed_faces(windows.permute({0, 2, 1, 3, 4}).to(torch::kFloat32));
  }
  FeatureMatrix features(const Waveform& speech16k) const override { return mfcc_.compute(speech16k); }
  bool covers(const FeatureMatrix& f, double seconds) const override {
    return window_inside(f, kMfccPerSecond, kMfccWindow, seconds);
  }
  torch::Tensor embed_audio(const FeatureMatrix& f, const std::vector<double>& seconds) override {
    return net_->embed_audio(feature_windows(f, kMfccPerSecond, kMfccWindow, seconds));
  }
  bool pads_edges() const override { return true; }

 private:
  static constexpr double kMfccPerSecond = 100.0;  // 10 ms step
  static constexpr int kMfccWindow = 20;           // 0.2 s, the public cct[..., 4i : 4i + 20]
  SyncNetV2 net_;
  MelAnalyzer mfcc_;
};

}  // namespace

std::unique_ptr<SyncJudge> load_sync_judge(const std::string& path) {
  const auto meta = load_weight_metadata(path);
  const auto kind = meta.find("dubkit.model");
  if (kind != meta.end()) return std::make_unique<DubkitJudge>(load_sync_expert(path));
  return std::make_unique<SyncNetV2Judge>(load_syncnet_v2(path));
}

}  // namespace dubkit
