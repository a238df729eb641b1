// `dubkit sync make-set`: a labelled audio-visual sync test set with known ground truth, made
// only from synthetic identities (talking_faces/synthetic_face.hpp) speaking utterances of a dubkit
// corpus (corpus/builder.hpp) — never a real person.
//
// Each source clip is one held-out utterance (the corpus's `split`, test by default: speakers,
// sentences and face identities no default model was trained on) rendered as a talking face
// with exact sync. From it:
//   original   re-encoded as is                                     label real, shift 0
//   shift      its audio delayed by k frames, k in [min_shift, max_shift], k != 0    fake, shift k
//   swap       the audio of another speaker's utterance (cut or padded with silence to the clip)
//                                                                   fake
//   dub        the same other audio, the mouth re-rendered by `dubkit lipsync` to match it
//                                                                   fake
// Every variant, the original included, is decoded and re-encoded once by the same encoder, and
// the swapped and dubbed sound is taken from another source clip, so every clip's picture and
// sound have been coded twice: codec history tells nothing. The swap and dub of a clip share
// their audio: the pair isolates what re-rendering the mouth changes.
//
//   OUT/sources/ID.mp4        the rendered source clips (not part of the set)
//   OUT/clips/ID.VARIANT.mp4  the set
//   OUT/list.txt              the set's files, one per line, relative to OUT (`sync batch` input)
//   OUT/labels.csv            file, label, manipulation, shift_frames, identity, speaker,
//                             audio_speaker, audio_utterance, source
//
// The dubbed clips are research material made from synthetic voices and faces, like the corpus;
// their container comment says they were lip-synced by dubkit. They carry no watermark or
// signed manifest: a sync detector must not be able to lean on either.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace dubkit {

struct SyncSetOptions {
  std::string corpus_dir;
  std::string out_dir;
  std::string lipsync_model;  // generator for the dub variants
  std::string split = "test";
  int clips = 20;             // source clips
  int min_shift = -10, max_shift = 10;  // frames
  double min_seconds = 2.0;   // shortest source utterance (a 10-frame shift must leave sync to find)
  bool swap = true, dub = true;
  int width = 480, height = 360;
  std::uint64_t seed = 1;
  void validate() const;      // InvalidArgument naming the flag
};

struct SyncSetReport {
  int sources = 0;
  long files = 0;             // entries of labels.csv
  long real = 0, fake = 0;
  double seconds = 0;         // wall time
};

// Throws InvalidArgument when the split holds fewer than 2 usable utterances or 2 speakers
// (swapping needs another voice), IoError / FormatError from the corpus, decoder and encoder.
// `progress` counts the sources rendered, then the sources whose variants are written (of 2N).
SyncSetReport make_sync_set(const SyncSetOptions& opts, const std::function<void(int done, int total)>& progress = {});

}  // namespace dubkit
