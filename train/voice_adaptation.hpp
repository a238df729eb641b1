// Fitting a speaker adapter (synth/speaker_adapter.hpp) to a performer's own recordings: the
// training half of `voice adapt`. Consent, the speaker check and signing are the job's
// (jobs/adapt_job.hpp); this file only learns.
//
// Each clip's transcript is phonemised as `say` phonemises text (synth/front_end.hpp), its
// phones are aligned to the audio by the aligner (align/aligner.hpp), and the frames between
// boundaries become the durations the synthesizer is teacher-forced with. The base model's
// weights are frozen; the adapter learns with the synthesizer's own training loss
// (train/synth_batch.hpp). Batches of step s depend only on (seed, s), so a run resumed from
// its work folder continues exactly as an uninterrupted one.
//
// Work folder: WORK/checkpoints/step_NNNNNNN/ (adapter, optimizer state) and WORK/run.json
// (what the run learns from: a resume with other recordings or another base is refused).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace dubkit {

// One recording, or one timed piece of it (a subtitle cue), with what is said in it.
struct AdaptationClip {
  std::string audio;      // file path (any rate; mixed to mono)
  std::string text;       // transcript of [start, end)
  double start = 0;       // seconds into the file
  double end = -1;        // seconds; < 0: to the end of the file
  std::string name;       // how reports name it ("take1.wav" or "take1.wav cue 3")
};

struct VoiceAdaptOptions {
  std::string synthesizer;          // base synthesizer file
  std::string aligner;              // aligner file
  std::vector<float> embedding;     // the profile's speaker embedding (the adapter starts there)
  std::string lang = "en";          // language of every transcript (a synthesizer language)
  std::vector<AdaptationClip> clips;
  std::string work_dir;             // checkpoints; resume continues from the newest
  bool resume = false;
  long steps = 400;                 // optimisation steps
  int batch = 8;                    // clips per step
  double lr = 3e-3;                 // peak Adam learning rate (warm-up 20 steps, cosine decay)
  std::vector<std::string> frozen;  // adapter tensors kept as they start (for studies of which part pays)
  double max_wall_seconds = 840;    // stop early (and say so) when learning takes longer
  long checkpoint_every = 25;       // steps between checkpoints (and one at the end)
  double min_seconds = 30;          // less audio than this is refused: too little to learn a voice
  double max_clip_seconds = 30;     // longer clips are refused: cut them or give a subtitle file
  // A clip whose alignment (align/aligner.hpp ScoredAlignment, nats per frame) costs more than
  // max_alignment_ratio x the median of the run's clips (but never less than
  // min_alignment_limit), or more than max_alignment_cost, is taken for a transcript of other
  // words and left out (named in the report); when more than half the clips are, the run is
  // refused. Measured with the default aligner (models/aligner.md): true transcripts of a real
  // English reader cost 0.8-2.3 (median 1.7), other sentences of the same reader 2.2-5.9
  // (median 3.8); synthetic English 0.2-2.0 against 3.0-6.8.
  double max_alignment_ratio = 2.0;
  double min_alignment_limit = 2.5;
  double max_alignment_cost = 4.0;
  std::uint64_t seed = 1;
  int threads = 2;
  void validate() const;            // throws InvalidArgument naming the option
};

struct AdaptationClipReport {
  std::string name;
  double seconds = 0;
  double alignment_cost = 0;
  int phones = 0;
  std::string refused;              // why the clip was left out, "" when it was learned from
};

struct VoiceAdaptReport {
  std::vector<AdaptationClipReport> clips;
  double seconds = 0;               // audio learned from (refused clips not counted)
  long steps = 0;                   // steps done in all (resumed runs included)
  bool stopped_early = false;       // max_wall_seconds reached before `steps`
  long parameters = 0;              // values in the adapter
  double loss_before = 0;           // training loss over all clips, base model (adapter = identity)
  double loss_after = 0;            // the same with the learned adapter
  double wall_seconds = 0;          // this invocation
};

struct VoiceAdaptResult {
  std::map<std::string, std::vector<float>> adapter;  // SpeakerAdapterImpl::values()
  VoiceAdaptReport report;
};

// `progress(step, total, loss)` after every step. Throws InvalidArgument (options, too little
// audio, a clip too long or too short, a phone the synthesizer has no symbol for, a language it
// does not speak, transcripts that do not match most of the audio: every refused clip named
// with its cost), FormatError / IoError for unreadable files.
VoiceAdaptResult adapt_voice(const VoiceAdaptOptions& opts,
                             const std::function<void(long, long, double)>& progress = {});

}  // namespace dubkit
