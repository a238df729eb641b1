// `dubkit dub`: an actor's footage, their consented voice profile and a translated, timed script
// in, the dubbed video out: the actor speaking the new lines in their own voice, with matching
// lip movements, watermarked and signed.
//
//   script (dub/script.hpp) ─ plan every line: natural duration, fit to its slot
//   (dub/line_fit.hpp; lines that cannot fit refuse the dub before any audio is made)
//   ─ synthesise each line in the voice, to its fitted length (synth/tts.hpp), kept in the work
//   directory ─ place them on the video's timeline (16 kHz dialogue) ─ mix over the bed, loudness
//   to -23 LUFS, 48 kHz (dub/mix.hpp) ─ watermark the whole mix (one payload per second,
//   provenance/publish.hpp) ─ lip-sync the face over every line (± `margin`), original frames
//   elsewhere, the mix muxed as AAC (lipsync/lipsync_video.hpp) ─ the sync expert's offset and
//   confidence per line and per window (lipsync/sync_score.hpp) ─ signed manifest, render log,
//   and the report OUTPUT.dub.json
//
// Resuming: lines are kept in the work directory (OUTPUT.work/ unless given) under a key of
// everything that makes them (text, slot, voice, models, language, fit, seed); with `resume`
// a finished line whose key matches is reused, so an interrupted dub continues from the lines
// it had made. The video is re-rendered whole on every run (weaker than asked: frames are not
// resumable). What the dub wrote to the work directory is removed after it succeeds unless
// `keep_work` (other files in a --work-dir stay).
//
// Memory: frames stream (lipsync_video holds a few batches); the audio of the whole timeline
// is held (48 kHz mono float: 11.5 MB per minute).
//
// A video without any face is still dubbed, audio only: its frames pass through, the report has
// frames_changed 0 and no sync figures, and the caller should warn.
//
// Consent: the caller passes a voice authorised for the use "dubbing" in the script's language
// and must have checked that its record covers "lip-sync" too (tools/cmd_dub.cpp does both).
// One dub at a time per process (LibTorch's global thread count).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "dub/line_fit.hpp"
#include "dub/mix.hpp"
#include "lipsync/compositor.hpp"

namespace dubkit {

class AuthorizedVoice;
struct SigningKey;

struct DubOptions {
  std::string video, script, output;  // output: .mp4
  std::string background;             // music-and-effects stem; "" = none
  double keep_original_under = -1;    // dB under which the original track plays during lines; < 0 = not kept
  std::string source_language = "en"; // language of the original, for the manifest ("" = unknown)
  std::string synthesizer, vocoder, lipsync_model, sync_expert;  // files ("griffinlim" allowed as vocoder)
  LineFitOptions fit;
  MixOptions mix;
  int face = -1;                      // track to re-render; -1 = largest
  double margin = 0.25;               // seconds of re-rendered frames before and after each line
  bool silence_gate = true;
  CompositeOptions composite;
  std::string label;                  // on-screen disclosure; "" = none
  std::string territory = "worldwide";
  std::string render_log;             // path
  std::string work_dir;               // "" = output + ".work"
  bool resume = false, keep_work = false;
  std::uint64_t seed = 0;
  std::string software = "dubkit dub";  // the manifest's claim generator
  int threads = 2;                    // LibTorch threads for synthesis (the lip-sync generator uses 1)
  void validate() const;              // throws InvalidArgument naming the flag
};

struct DubLine {
  int index = 0;
  double start = 0, end = 0;
  std::string text;
  double natural_seconds = 0, target_seconds = 0, achieved_seconds = 0, available_seconds = 0, stretch = 1;
  std::string fit;
  double speech_start = 0, speech_end = 0;  // where the line's audio sits on the timeline
  bool resumed = false;                     // taken from the work directory
  int sync_offset = 0;                      // the expert over the line's windows (none: sync_windows 0)
  double sync_confidence = 0;
  long sync_windows = 0;
  std::vector<std::uint32_t> watermark_payloads;  // of the one-second blocks the line overlaps
};

struct DubProgress {
  std::string stage;  // "plan", "synthesis", "mix", "lipsync", "sync", "sign"
  double stage_fraction = 0, overall_fraction = 0;
};

struct DubReport {
  std::string output_id;
  std::vector<DubLine> lines;
  std::vector<std::pair<int, std::string>> skipped;  // cue index, reason
  double fps = 0, video_seconds = 0, output_seconds = 0;
  MixReport mix;
  std::string bed;                    // silence | background | original
  long frames_out = 0, frames_changed = 0, frames_silenced = 0;
  bool synced = false;                // sync figures exist (a face was tracked)
  int sync_offset = 0;
  double sync_confidence = 0;
  std::vector<double> window_seconds, window_confidence;
  std::vector<int> window_offset;
  std::vector<std::uint32_t> watermark_payloads;
  std::vector<std::pair<std::string, double>> stages;  // wall seconds per stage, in order; "total" last
  std::string report_path;            // OUTPUT.dub.json
};

// Throws what the stages throw: FormatError (script), InvalidArgument (options, cues past the
// video's end, lines that cannot fit: all listed with needed and available seconds),
// ConsentRefused is the caller's, IoError.
DubReport dub_video(const DubOptions& opts, const AuthorizedVoice& voice, const SigningKey& key,
                    const std::function<void(const DubProgress&)>& progress = {});

}  // namespace dubkit
