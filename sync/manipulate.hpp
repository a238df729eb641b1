// Controlled audio-visual manipulations with known ground truth, for sync research: the video's
// frames re-encoded as they are (H.264 + AAC MP4, the source's frame timing, size and tags) with
// a changed sound track. Originals in a test set go through the same re-encode, so the codec
// never tells a detector which clip was manipulated.
#pragma once

#include <string>

#include "audio/waveform.hpp"

namespace dubkit {

// The audio track delayed by `frames` video frames (negative: advanced), a frame being the
// median step between the first frames' timestamps; its length unchanged: silence fills the start (or end) and the overhang is cut. So the
// sound of frame i is heard with frame i + frames: `dubkit sync score` should find offset
// +frames. Throws InvalidArgument when |frames| > 1000 or the output is the input, FormatError
// when the video has no audio track, IoError / FormatError from the decoder and encoder.
void shift_audio(const std::string& video, int frames, const std::string& output);

// The frames with `audio` as the sound track, cut or padded with silence to the video's
// duration (a swapped-audio fake). Throws as shift_audio.
void replace_audio(const std::string& video, const Waveform& audio, const std::string& output);

}  // namespace dubkit
