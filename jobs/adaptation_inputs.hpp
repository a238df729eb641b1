// The recordings `voice adapt` learns from, each with what is said in it.
//
//   audio        files, or folders (their .wav/.flac/.ogg/.mp3 files, sorted, not recursive)
//   script       an SRT or WebVTT file (dub/script.hpp) timed to a single recording: each cue's
//                text is the transcript of [start, end) of it (a studio's footage and its
//                subtitles, or session recordings and their script)
//   transcripts  a folder holding NAME.txt for each recording NAME.ext; by default NAME.txt is
//                looked for beside the recording
//
// Transcripts are never guessed by speech recognition: a recording without one is an error.
#pragma once

#include <string>
#include <vector>

#include "train/voice_adaptation.hpp"

namespace dubkit {

// The audio files named by `audio` (folders expanded). Throws InvalidArgument for a path that
// does not exist or a folder without audio.
std::vector<std::string> adaptation_recordings(const std::vector<std::string>& audio);

// One clip per recording (transcript files) or per cue (script). Throws InvalidArgument naming
// every recording without a transcript, a script given with several recordings, and
// FormatError for a transcript that is not UTF-8 text or is larger than 64 KiB.
std::vector<AdaptationClip> adaptation_clips(const std::vector<std::string>& recordings, const std::string& script,
                                             const std::string& transcripts_dir);

}  // namespace dubkit
