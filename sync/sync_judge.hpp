// A sync expert as the sync score uses it: what it crops from each frame, how it embeds a
// window of consecutive crops, and how it embeds the speech at a given time. Two are built in:
//
//   dubkit      dubkit's own expert (the colour SyncNet layout of Wav2Lip, sync/syncnet.hpp):
//               lower half of the 96-pixel aligned crop, 16-frame wav2lip-16k mel windows,
//               unit embeddings; windows whose audio is missing are left out.
//   syncnet_v2  the public SyncNet evaluation model (sync/syncnet_v2.hpp): the whole face,
//               224 x 224, cropped as the public pipeline crops it; 20-frame syncnet-mfcc
//               windows; raw 1024-d embeddings; audio missing at the edges counts as a zero
//               embedding, as the public evaluation pads it (this is what makes LSE-D / LSE-C
//               comparable with published figures).
//
// Thread safety: crop() and the embeddings may be called from several threads at once (the
// networks are in eval mode and the calls write no state); callers set InferenceMode.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "audio/features.hpp"
#include "audio/waveform.hpp"
#include "faces/landmarks.hpp"

namespace at {
class Tensor;
}

namespace dubkit {

class SyncJudge {
 public:
  virtual ~SyncJudge() = default;
  virtual std::string name() const = 0;  // "dubkit" or "syncnet_v2"
  virtual int frames() const = 0;        // consecutive video frames per window (5 for both)
  // The model's input from one frame whose face has `landmarks`: uint8 [C, H, W].
  virtual at::Tensor crop(const cv::Mat& bgr, const Landmarks& landmarks) const = 0;
  // windows [B, frames, C, H, W] uint8 (crops in time order) -> [B, E].
  virtual at::Tensor embed_faces(const at::Tensor& windows) = 0;

  // The speech's features, computed once per clip from 16 kHz audio.
  virtual FeatureMatrix features(const Waveform& speech16k) const = 0;
  // Whether the audio window starting at `seconds` lies wholly inside `features`.
  virtual bool covers(const FeatureMatrix& features, double seconds) const = 0;
  // Audio embeddings [B, E] of the windows starting at `seconds` (each covered).
  virtual at::Tensor embed_audio(const FeatureMatrix& features, const std::vector<double>& seconds) = 0;
  // true: a position whose audio is not covered compares with a zero embedding (the public
  // evaluation's padding); false: it is left out of the means.
  virtual bool pads_edges() const = 0;
};

// Loads either kind from a weight file, told apart by its tensor names (`netcnnaud.*` is the
// public syncnet_v2 layout; anything else must be a dubkit sync-expert file). Throws what the
// underlying loader throws (IoError, FormatError naming the file).
std::unique_ptr<SyncJudge> load_sync_judge(const std::string& path);

}  // namespace dubkit
