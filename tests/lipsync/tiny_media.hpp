// Media for tests of the lip-sync and dub plumbing: a synthetic talking face and tiny
// random-weight networks (what flows through the stages, not the models' quality).
#pragma once

#include <string>

namespace dubkit::test {

// `seconds` of 320x240 video at 25 fps: synthetic face 5, its mouth opening and closing at
// 3 Hz, with the speech-like test tone of the same length as its sound.
void write_face_clip(const std::string& path, double seconds);

// A Wav2Lip generator and a SyncNet expert at 1/8 width, random weights, as dubkit files.
void write_tiny_networks(const std::string& generator, const std::string& expert);

}  // namespace dubkit::test
