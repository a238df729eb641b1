// `dubkit corpus faces`: synthetic talking-face clips for training and testing the lip-sync
// networks, made from an audio corpus (corpus/builder.hpp) without any real person.
//
// Each clip takes one utterance of the audio corpus and one synthetic identity
// (talking_faces/synthetic_face.hpp), drives the mouth with visemes from the utterance's phone
// timings (talking_faces/visemes.hpp), adds small head motion and blinks, and is written as an
// MP4 with the utterance's audio. Sync is exact by construction: frame i, shown at i / fps, has
// the mouth of the phones at that instant.
//
// The clips are then prepared the way inference sees video: decoded from the MP4, faces
// tracked with dlib and aligned (faces/), the aligned crops stored losslessly.
//
//   OUT/manifest.jsonl   one FaceClip per line (below)
//   OUT/clips/ID.mp4     H.264 + AAC, 25 fps
//   OUT/crops/ID.png     the T aligned face_size x face_size crops stacked top to bottom
//                        (black where no face was tracked)
//
// Identities are split like the speakers: a clip's identity and its speaker both belong to the
// utterance's split, so held-out clips show unseen faces saying unseen sentences.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "audio/waveform.hpp"
#include "corpus/manifest.hpp"

namespace dubkit {

struct FaceClip {
  std::string id;             // "<utterance id>_f<identity>"
  std::string split;          // the utterance's: train, val or test
  std::string utterance;      // audio corpus utterance id
  std::string audio;          // path of its 16 kHz WAV, relative to the audio corpus directory
  std::string video;          // clips/ID.mp4, relative to the faces directory
  std::string crops;          // crops/ID.png, relative to the faces directory
  std::uint64_t identity = 0; // FaceIdentity::random seed
  int face_size = 96;         // pixels, side of each crop
  double fps = 25;
  std::vector<double> times;  // presentation time of each frame, seconds (decoded from the MP4)
  std::vector<bool> valid;    // a face was tracked in that frame
};

std::string to_json_line(const FaceClip& c);
// Throws FormatError naming `where` when the line is not a valid entry.
FaceClip parse_face_clip(const std::string& line, const std::string& where);
// DIR/manifest.jsonl. IoError when missing, FormatError naming the line.
std::vector<FaceClip> read_face_clips(const std::string& dir);

struct TalkingFacesOptions {
  std::string corpus_dir;     // the audio corpus (manifest.jsonl with phone timings)
  std::string out_dir;
  int clips = 400;            // number of clips (a seeded sample of the utterances under 8 s, every split)
  int identities = 200;       // distinct synthetic faces, split like the clips
  int face_size = 96;         // aligned crop side stored for training
  double fps = 25;
  int width = 480, height = 360;  // rendered frame size, pixels
  std::uint64_t seed = 1;
  void validate() const;      // throws InvalidArgument naming the flag
};

struct TalkingFacesReport {
  int clips = 0;
  long frames = 0;
  long tracked = 0;           // frames where the tracker found the face
  double seconds = 0;         // audio seconds
};

// The pieces build_talking_faces uses for one clip, for other data sets of synthetic faces
// (`dubkit sync make-set`): the identity seed of an utterance (from its split's pool of
// `opts.identities`, so held-out utterances get held-out faces), and the clip rendered at
// opts' size and rate with `audio` muxed in.
std::uint64_t talking_face_identity(const TalkingFacesOptions& opts, const CorpusUtterance& u);
void render_talking_face(const TalkingFacesOptions& opts, const CorpusUtterance& u, std::uint64_t identity,
                         const Waveform& audio, const std::string& path);

TalkingFacesReport build_talking_faces(const TalkingFacesOptions& opts,
                                       const std::function<void(int done, int total)>& progress = {});

}  // namespace dubkit
