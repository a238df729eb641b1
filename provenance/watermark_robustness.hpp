// The watermark's robustness suite: the attacks the issue lists, as functions of 16 kHz audio,
// and an evaluation that marks speech, attacks it and detects (docs/WATERMARK.md has the table).
//
// Every attack takes mono audio at 8-96 kHz, returns it at the same rate, and is deterministic
// for a given seed.
// Thread safety: all functions are reentrant.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "audio/waveform.hpp"
#include "provenance/watermark.hpp"

namespace dubkit {

// Attacked audio plus where it came from: original time = offset_seconds + time * time_scale.
struct AttackedAudio {
  Waveform audio;
  double offset_seconds = 0;  // crop start in the original
  double time_scale = 1;      // > 1 when the attack made the audio shorter (faster)
  std::size_t clipped = 0;    // samples clipped at +-1 (gain)
};

// --- The attacks (InvalidArgument for a rate outside 8-96 kHz) ---
Waveform attack_resample(const Waveform& audio, int via_rate);           // to via_rate and back (libsoxr)
Waveform attack_lossy(const Waveform& audio, bool mp3, int bit_rate);    // FFmpeg MP3 (libmp3lame) or AAC ("aac")
Waveform attack_white_noise(const Waveform& audio, double snr_db, std::uint64_t seed);  // SNR vs the whole signal's power
AttackedAudio attack_gain(const Waveform& audio, double db);             // clipped at +-1, clipped samples counted
Waveform attack_lowpass(const Waveform& audio, double cutoff_hz);        // 8th-order Butterworth (4 biquads)
Waveform attack_highpass(const Waveform& audio, double cutoff_hz);       // 8th-order Butterworth (4 biquads)
AttackedAudio attack_crop(const Waveform& audio, double seconds, std::uint64_t seed);  // a random excerpt
// Synthetic music (no recordings): chords of harmonic tones with attack/decay envelopes, a bass
// line and noise-burst percussion. `seconds` long at `rate`, peak about 0.5.
Waveform synthetic_music(double seconds, int rate, std::uint64_t seed);
// The speech plus synthetic music whose power is `music_db` dB relative to the speech's (-10: the
// music 10 dB below the speech).
Waveform attack_mix_music(const Waveform& audio, double music_db, std::uint64_t seed);
// Speed change by resampling (pitch moves with it): factor 1.1 = 10% faster and shorter.
AttackedAudio attack_speed(const Waveform& audio, double factor);
// Pitch-preserving tempo change with Rubber Band (offline): factor 1.05 = 5% faster and shorter.
AttackedAudio attack_time_stretch(const Waveform& audio, double factor);

struct WatermarkAttack {
  std::string name;
  std::function<AttackedAudio(const Waveform& audio, std::uint64_t seed)> apply;
};

// The list, in the order of the docs' table, "none" first, then two extras (white noise
// at 30 dB SNR, speed 1.06x).
std::vector<WatermarkAttack> standard_watermark_attacks();

// --- Evaluation ---
// How a marked output leaves dubkit, before anyone attacks it: 16-bit PCM (say's WAV), or AAC at
// 128 kbit/s (the sound track of dub's MP4, encoded from float). The unmarked audio goes the same way.
enum class WatermarkDelivery { pcm16, aac128 };

// Counts for one detector configuration over all files.
struct DetectionTally {
  std::size_t detected_blocks = 0;   // expected blocks found at the false-positive limit
  std::size_t exact_payloads = 0;    // found with all 32 payload bits right
  std::size_t payload_bits_right = 0;
  std::size_t stray_detections = 0;  // found blocks that map to no expected block (e.g. a partial one)
  std::size_t unmarked_blocks = 0;   // blocks searched in the attacked unmarked audio
  std::size_t false_positives = 0;   // of those, found (should be 0)
  double bit_accuracy() const { return detected_blocks ? double(payload_bits_right) / (32.0 * detected_blocks) : 0; }
  double exact_payload_rate() const { return detected_blocks ? double(exact_payloads) / detected_blocks : 0; }
};

struct AttackScore {
  std::string name;
  std::size_t expected_blocks = 0;  // marked full blocks lying wholly inside the attacked audio
  std::size_t clipped_samples = 0;
  DetectionTally plain;             // default detection (position search only)
  DetectionTally scaled;            // with WatermarkSearch::wide() (time/frequency scale search)
  double rate(const DetectionTally& t) const { return expected_blocks ? double(t.detected_blocks) / expected_blocks : 0; }
};

// Empirical tail of the per-candidate statistic on audio not marked with the key used.
struct NullTail {
  double threshold = 0;         // z
  double gaussian = 0;          // N(0,1) tail at the threshold
  double bound = 0;             // exp(-z^2/2), the bound detection uses
  std::size_t exceed = 0;       // candidates at or above the threshold
  double empirical() const;     // exceed / tests
  std::size_t tests = 0;
};

struct NullCheck {
  std::string condition;        // "unmarked speech, random keys" / "marked speech, wrong keys"
  std::size_t tests = 0;
  double mean = 0, variance = 0, max = 0;  // of z (N(0,1) expected: mean 0, variance <= 1)
  std::vector<NullTail> tails;  // at Gaussian tails 1e-2, 1e-3, 1e-4
};

struct RobustnessReport {
  int rate = 16000;  // Hz: the files were marked, attacked and searched at this rate
  WatermarkDelivery delivery = WatermarkDelivery::pcm16;
  std::size_t files = 0;
  std::size_t marked_blocks = 0;
  double snr_mean_db = 0, snr_min_db = 0;  // marked vs unmarked, over each whole file
  double max_false_positive = 1e-6;
  std::vector<AttackScore> attacks;
  std::vector<NullCheck> null_checks;
};

struct RobustnessOptions {
  int rate = 16000;                  // Hz (8000-96000): the rate of the output being measured
  WatermarkDelivery delivery = WatermarkDelivery::pcm16;
  std::vector<std::string> attacks;  // only the attacks whose names contain one of these; empty: all
  std::uint64_t seed = 1;
  double max_false_positive = 1e-6;
  int null_keys = 10;  // random keys per file for the null check
  std::function<void(const std::string&)> progress;  // optional: one line per file
};

// Brings each speech file to options.rate (libsoxr), marks it there with a random key and random
// payloads, delivers it (options.delivery), applies every standard attack (or those options.attacks names) to the marked and to
// the unmarked audio, detects, and runs the null check. Throws InvalidArgument when `speech` is
// empty, the rate is outside 8-96 kHz or no attack matches.
RobustnessReport evaluate_watermark_robustness(const std::vector<Waveform>& speech, const RobustnessOptions& options);

}  // namespace dubkit
