// The dub's stages, in the order the dub job (jobs/dub_job.hpp) runs them:
//
//   plan        the script against the video: every line's natural length and its fit to its
//               slot (dub/line_fit.hpp); lines that cannot fit refuse the dub before any audio
//   synthesize  each line in the voice to its fitted length, kept in the work directory and
//               reused on resume; the dialogue placed on the video's timeline (16 kHz)
//   mix         the dialogue over the bed (silence, a background stem, or the original track
//               ducked), loudness to the target, 48 kHz (dub/mix.hpp)
//   (mark)      the job's render gate watermarks the mix
//   render      the face re-rendered over every line (± margin), original frames elsewhere, the
//               marked mix muxed (lipsync/lipsync_video.hpp); the sync expert's input gathered
//               from the composited frames
//   score       the expert's offset and confidence over the whole dub, per window and per line
//   (publish)   the job signs, logs and writes the report
//
// Each stage is an unpublished building block: none of them checks consent, marks or signs;
// the job does, through its render gate. Options are validated by DubOptions::validate().
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "audio/waveform.hpp"
#include "dub/dub_options.hpp"
#include "dub/dub_report.hpp"
#include "lipsync/lipsync_video.hpp"
#include "sync/sync_score.hpp"
#include "synth/tts.hpp"
#include "video/video_reader.hpp"

namespace dubkit {

// Called with the stage's fraction done, in [0, 1].
using StageProgressFn = std::function<void(double)>;

struct DubPlan {
  VideoInfo video;
  std::vector<DubLine> lines;                        // timing and fit set; the rest is later stages'
  std::vector<std::pair<int, std::string>> skipped;  // cue index, reason
};

// Throws FormatError (script, a video without a duration), InvalidArgument (cues past the
// video's end; --keep-original-audio-under without an audio track; lines too long for their
// slots, all listed with needed and available seconds).
DubPlan plan_dub(const DubOptions& o, TextToSpeech& tts, const std::vector<float>& speaker, const std::string& lang,
                 const StageProgressFn& progress = {});

// What makes a line's audio besides its text and length; a line is reused on resume only when
// all of it matches.
struct LineVoice {
  std::vector<float> speaker;     // the voice's embedding
  std::string lang;
  std::string voice_signature;    // the profile's signature: a new enrollment is a new voice
  std::uint64_t seed = 0;
  // Keyed hash of a message (RenderGate::seal): each line's key file holds the seal of its key
  // and its WAV's SHA-256, so a WAV swapped in the work directory before a resume is made anew
  // instead of dubbed into a signed output (issue 22, item 8).
  std::function<std::string(const std::string&)> seal;
};

// Removes what a dub writes into its work directory, and the directory when that leaves it
// empty: a --work-dir given by the user may hold other files, which stay.
void clear_dub_work(const std::string& work_dir);

// Synthesises every line of `plan` to its target length (work_dir/lines/NNNN.wav beside its
// key), or takes it from there with o.resume when its key and seal match; sets
// achieved_seconds, speech_start/end and resumed. Throws InvalidArgument without voice.seal. Returns the dialogue: 16 kHz, the video's length, each line at its cue's start.
Waveform synthesize_lines(DubPlan& plan, const DubOptions& o, const LineVoice& voice, TextToSpeech& tts,
                          const Vocoder& vocoder, const std::string& work_dir, const StageProgressFn& progress = {});

struct DubMix {
  Waveform sound;      // at o.mix.rate, the video's length
  MixReport report;
  std::string bed;     // "silence", "background" or "original"
};

// The dialogue over the bed, loudness-normalised (speech spans: each line's speech_start..end).
DubMix mix_timeline(const Waveform& dialogue, const DubPlan& plan, const DubOptions& o);

// Re-renders the face over each line's speech (± o.margin), muxing `mix_wav`; the mouth is
// driven by `dialogue_wav`. Every composited frame also goes to `frames` (the sync expert's
// input). `label`: the on-screen disclosure ("" = none); `mark`: the video mark of each
// re-rendered frame (empty = none).
LipSyncVideoReport render_lines(const DubPlan& plan, const DubOptions& o, const std::string& dialogue_wav,
                                const std::string& mix_wav, const std::string& label, const FrameMark& mark,
                                SyncFrames& frames, const StageProgressFn& progress = {});

// The expert's verdict against the dialogue alone (music would only blur it): overall, per
// window and per line, into `r` (r.synced). Only for a dub whose frames were re-rendered.
void score_lines(SyncFrames& frames, double fps, const Waveform& dialogue, const std::string& output, DubReport& r);

// Each line's share of the mix's watermark payloads (block k covers seconds k..k+1).
void assign_line_payloads(DubReport& r);

}  // namespace dubkit
