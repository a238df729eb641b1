// Stage two of the lipsync job (lipsync_video.hpp), on its own thread: the generator redraws
// the mouths of a batch of frames in one call.
//
// Each frame to re-render (PendingFrame::face) is driven by the mel window at its pts
// (lipsync/inputs.hpp: windows past the mel's end are moved back to end at its last frame) and
// its reference crop; its `crop` is replaced by the generated one. Other frames pass untouched;
// a batch without faces costs nothing.
#pragma once

#include <vector>

#include "audio/features.hpp"
#include "lipsync/pending_frame.hpp"
#include "lipsync/wav2lip.hpp"

namespace dubkit {

// Runs on one thread at a time (the generator's state is not guarded).
class GenerateStage {
 public:
  // `mel` (borrowed: it must outlive the stage) in the generator's mel preset, at least one
  // window long; crops of the generator's face size.
  GenerateStage(Wav2Lip generator, const FeatureMatrix& mel) : generator_(std::move(generator)), mel_(mel) {}

  // Throws what the generator and the input builders throw (InvalidArgument for a crop of the
  // wrong shape).
  void operator()(std::vector<PendingFrame>& batch);
  double seconds() const { return seconds_; }  // wall time inside the generator

 private:
  Wav2Lip generator_;
  const FeatureMatrix& mel_;
  double seconds_ = 0;
};

}  // namespace dubkit
