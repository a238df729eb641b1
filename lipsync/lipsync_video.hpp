// Re-renders the mouth of one face in a video to match new speech.
//
// lipsync_video is an unpublished building block: its output carries no signed manifest, no
// watermark and no render-log entry, and no consent is checked here. Published outputs come
// from the lipsync job (jobs/lipsync_job.hpp: lipsync_job() re-checks the performer's consent,
// draws the disclosure, signs and logs) or the dub job; call this directly only for outputs
// that stay in-house (tests, research sets).
//
// The job is a sequence of named stages, each in its own file and tested alone:
//
//   open the inputs: the speech (read, its mel), the frames (frame_source.hpp), the generator
//   for each frame: decode ─ track faces, align the chosen one to the generator's crop, pick
//       its reference and silence weight (face_stage.hpp: reference_mouth.hpp, silence_gate.hpp)
//   per batch: generate new mouths (generate_stage.hpp)
//   per frame: mix in the silence gate's mouth, composite back (compositor.hpp), draw the
//       label (composite_stage.hpp: disclosure_label.hpp) ─ encode H.264, mux the speech as AAC
//
// Frames stream through in batches (PendingFrame, pending_frame.hpp): memory does not grow with
// the clip's length (at most 4 * batch + 1 frames are held). Three threads overlap, joined by
// bounded queues (core/worker_stage.hpp): decoding and tracking (the caller's), the generator,
// and compositing and encoding.
// Frames where the chosen face is not tracked pass through unchanged; a video with no face at
// all comes out re-encoded with the new audio and `frames_changed` = 0 (the caller decides
// whether that is an error). Speech longer than the video extends it by playing the frames
// forward and backward in turn (ping-pong), so the face keeps moving naturally; the frames are
// then spilled to a temporary directory beside the output as they are first decoded; a
// one-frame video is held as a still (so is the last frame when the container overstated the
// video's length). Speech shorter than the video: the rest of the clip is a pause. The speech
// that drives the mouth is padded with silence to the video's stated length, and the face is
// tracked and re-rendered there as in any pause (with the silence gate, the closed reference
// mouth; without it, the generator driven by silence); `spans` still restrict re-rendering.
// The sound muxed is unchanged: it ends where the speech ends.
//
// One job at a time per process: it sets LibTorch's global thread count to `threads`.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "faces/landmarks.hpp"
#include "lipsync/compositor.hpp"
#include "video/video_writer.hpp"

namespace dubkit {

struct LipSyncVideoOptions {
  std::string video;          // input video (any container/codec FFmpeg reads)
  std::string audio;          // the new speech (WAV/FLAC/OGG, any rate): drives the mouth
  std::string mux_audio;      // the sound muxed into the output (e.g. speech over music); "" = `audio`
  // Spans of the output timeline (seconds) whose frames are re-rendered; the others keep their
  // original mouth (faces are still tracked through them). Empty = the whole output.
  std::vector<std::pair<double, double>> spans;
  std::string output;         // MP4 to write (atomic; must not be an input)
  std::string model;          // generator file (lipsync/model_files.hpp)
  int face = -1;              // track id to re-render (tracks numbered in order of appearance); -1 = largest
  int batch = 8;              // frames per generator call
  // In pauses of the new speech of 200 ms or more (energy VAD, audio/vad.hpp), and after its
  // end, the mouth is the reference's (the most closed one seen), faded in and out over
  // `silence_fade` seconds: generators tend to leave lips moving in silence (silence_gate.hpp).
  bool silence_gate = true;
  double silence_fade = 0.08;
  CompositeOptions composite;
  VideoWriterOptions encode;  // codec settings; metadata is merged over the input's
  int threads = 1;            // LibTorch threads for the generator (it runs beside the tracking and encoding threads)
  // Called for every output frame once composited (before the label is drawn), on the
  // compositing thread, in order: the frame, the chosen face's smoothed landmarks (null where it
  // is not tracked) and its time. E.g. to gather the sync expert's input without decoding the
  // output again (sync/sync_score.hpp SyncFrames).
  std::function<void(const cv::Mat& bgr, const Landmarks* landmarks, double pts)> on_frame;
  // Called for every frame whose region was pasted, right after the paste (before on_frame and
  // the label), on the compositing thread, in order: the frame, the region's mask (CV_8UC1,
  // non-zero where pixels may have changed) and its time. The render gate's video mark
  // (provenance/video_watermark.hpp) is set here by the jobs; empty = none.
  FrameMark mark;
  std::string label;          // on-screen disclosure drawn at the bottom left of every frame; "" = none
  void validate() const;      // throws InvalidArgument naming the flag
};

struct FaceTrackSummary {
  int track = -1;
  long first_frame = 0, last_frame = 0;  // output frame indices
  long frames = 0;                       // frames where it was found
  double mean_size = 0;                  // mean box side, pixels
};

struct LipSyncVideoReport {
  int width = 0, height = 0;
  long frames_in = 0;         // decoded input frames
  long frames_out = 0;        // written frames (more than frames_in when ping-pong extended the video)
  long frames_changed = 0;    // frames whose mouth was re-rendered (a non-empty mouth region pasted)
  long frames_silenced = 0;   // of those, frames fully in a pause (the silence gate's mouth)
  long first_changed = -1, last_changed = -1;  // output frame indices of the first and last re-rendered frame
  cv::Rect changed_box;       // union of the pasted regions, output pixels (empty when none)
  double video_seconds = 0, audio_seconds = 0, output_seconds = 0;
  std::vector<FaceTrackSummary> tracks;
  int face_track = -1;        // the track that was re-rendered (first one chosen)
  // Wall seconds per stage, each on its own thread: they overlap, so they add up to more than total_s.
  double decode_s = 0, detect_s = 0, landmarks_s = 0, network_s = 0, composite_s = 0, encode_s = 0, total_s = 0;
};

LipSyncVideoReport lipsync_video(const LipSyncVideoOptions& opts,
                                 const std::function<void(long done, long total)>& progress = {});

}  // namespace dubkit
