// The synthetic face over time: mouth shapes from timed phones (visemes with coarticulation),
// and small natural head motion with blinks. Together with render_face they make talking-face
// video whose sync with the audio is known by construction.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "talking_faces/synthetic_face.hpp"

namespace dubkit {

// One phone as spoken, in seconds from the start of the clip. `ipa` is a phone as the corpus
// engines write it (flite/espeak-ng IPA: "æ", "eɪ", "dʒ", "ɹ"...; stress and length marks are
// ignored), "_" for a pause. Its own type, so the face model needs nothing of corpus/ (only the
// clip makers, talking_faces.hpp and presenter.hpp, read corpus phones).
struct TimedPhone {
  std::string ipa;
  double start = 0, end = 0;
};

// The articulatory target of one phone out of context. Unknown phones get a neutral half-open
// shape; "_" and "" get the closed, relaxed mouth of a pause.
MouthShape viseme(const std::string& ipa);

// The mouth at time t (seconds). Targets are blended across neighbours by a Gaussian of 30 ms
// standard deviation (~70 ms wide), integrated exactly over each phone, so the trajectory is
// continuous; diphthongs move from their first to their second target. On top of the blend,
// /m b p/ close the lips (and /f v/ tuck the lower lip) for their whole span however short,
// with 40 ms ramps on either side. Gaps between phones count as pauses; a pause of 150 ms or
// more (and everything before the first and after the last phone) is a fully closed, relaxed
// mouth, a shorter one a slightly parted neutral one.
// `phones` must be sorted by start, non-overlapping, with finite start <= end; otherwise
// InvalidArgument naming the phone.
MouthShape mouth_at(const std::vector<TimedPhone>& phones, double t);

// mouth_at for frames 0..frames-1 of a video at `fps`, sampled at the frames' presentation
// times t = i / fps: the convention of the MP4 the frames end up in (frame i is shown at
// i / fps) and of talking_faces/talking_faces.hpp, so a frame's mouth is that of the audio at its
// timestamp. Throws InvalidArgument for fps <= 0 or frames < 0.
std::vector<MouthShape> mouth_track(const std::vector<TimedPhone>& phones, double fps, int frames);

// Small head motion and blinks at time t for a clip seeded by `seed`: a smooth random drift of
// a few degrees (yaw, pitch, roll), a few pixels (dx, dy) and +-2 % scale, made of slow
// sinusoids (0.05-0.6 Hz); a blink of ~150 ms (fast close, slower open) at a random moment of
// every 4 s window, so blinks come 2-6 s apart. Deterministic in (seed, t); O(1) per call.
HeadPose head_motion_at(std::uint64_t seed, double t);

}  // namespace dubkit
