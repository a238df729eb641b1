// `dubkit sync redrive`: how well `dubkit lipsync` re-drives held-out synthetic clips with other
// speech, measured by the expert and by dlib landmarks on the output video:
//   - the expert's offset of each output (want 0 +/- 1 frame) and its confidence at offset 0,
//     against the same clip with its original audio shifted by 5 frames;
//   - mouth opening (inner-lip gap from dlib's 68 landmarks, unsmoothed, divided by the
//     brow-to-chin height) against the new speech's RMS over one frame period centred on each
//     frame's time: Pearson correlation at lags
//     -5..5 frames, and the lag of the peak (want 0 +/- 1; positive: the mouth follows the sound);
//   - during pauses of the new speech longer than 200 ms (the audio corpus's phone timings,
//     60 ms trimmed from each end for the lips to close), the fraction of frames with the mouth
//     closed: gap / face height below what dlib reads on 95% of the mouths drawn closed in the
//     original clips (their mouth track is known: talking_faces/visemes.hpp).
// The envelope measures are also taken on each original clip against its own speech, where
// the mouth is right by construction: the ceiling of what they can show.
// Clip k (test split of the talking-face corpus) is re-driven by new speech: the utterances of
// clips k + 1 and k + 2 with 0.5 s of silence between them (so every clip has a pause), which
// outlasts the clip and so also exercises the ping-pong extension.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace dubkit {

struct LipSyncEvalOptions {
  std::string faces_dir, corpus_dir;
  std::string model, expert;
  std::string out_dir;           // the new speech WAVs and the re-driven MP4s are kept here
  std::string split = "test";
  int clips = 10;
  double closed_gap = 0;         // inner-lip gap / face height below which the mouth counts as closed;
                                 // 0: calibrated on the original clips (see above)
  int threads = 1;               // LibTorch threads of the generator (lipsync_video.hpp)
  bool silence_gate = true;      // lipsync_video.hpp; off measures the generator's own mouth in pauses
};

struct MouthMeasures {
  int envelope_peak_lag = 0;
  double envelope_peak_corr = 0, envelope_corr_at_zero = 0;
  long pause_frames = 0, pause_closed = 0;
};

struct LipSyncEvalClip {
  std::string video, speech;     // the clip re-driven, the new speech (written to out_dir)
  int offset = 0;
  double confidence = 0, confidence_at_zero = 0;
  double shifted_confidence_at_zero = 0;  // the original clip, audio 5 frames late
  MouthMeasures redriven;        // the output against the new speech
  MouthMeasures original;        // the clip as rendered against its own speech: what the measures give on truth
};

struct LipSyncEvalReport {
  std::vector<LipSyncEvalClip> clips;
  double offset_within_1 = 0;          // fraction of clips with |offset| <= 1
  double confidence_at_zero = 0;       // mean over clips
  double shifted_confidence_at_zero = 0;
  double envelope_lag_within_1 = 0;    // fraction of clips whose peak lag is within 1 frame of 0
  double envelope_corr_at_zero = 0;    // mean
  double pause_closed = 0;             // fraction of pause frames with the mouth closed
  long pause_frames = 0;
  double original_envelope_corr_at_zero = 0;  // mean, the original clips with their own speech
  // "Closed": the 95th percentile of the opening dlib reads on the original clips' frames whose
  // mouth was drawn closed, and the fraction of frames drawn wide open (open > 0.5) it would
  // call closed.
  double closed_threshold = 0, open_read_as_closed = 0;
  long calibration_closed_frames = 0, calibration_open_frames = 0;
};

LipSyncEvalReport evaluate_lipsync(const LipSyncEvalOptions& opts, const std::function<void(int, int)>& progress = {});

}  // namespace dubkit
