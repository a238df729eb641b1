// What every synthesised output goes through before it leaves dubkit: the watermark (one
// keyed payload per one-second block), the signed manifest and the render-log entry.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "audio/waveform.hpp"
#include "provenance/consent_check.hpp"
#include "provenance/manifest.hpp"
#include "provenance/watermark.hpp"

namespace dubkit {

// Marks audio as it is made: pieces of any length go in, marked whole one-second blocks come
// out (payload of block k = watermark_payload(key, consent id, output id, k)), so a stream can
// be played as it is synthesised, one block behind. Not thread-safe.
class AudioMarker {
 public:
  AudioMarker(const WatermarkKey& key, std::string consent_id, std::string output_id, int rate);
  // Appends `piece` (at the marker's rate); returns the marked audio of the blocks it completed.
  Waveform push(const Waveform& piece);
  // The remainder, shorter than a block: marked with a half-second block when it is half a
  // second or longer (so is an output of 0.5-1 s); a shorter one leaves unmarked (the manifest
  // still covers it).
  Waveform finish();
  const std::vector<std::uint32_t>& payloads() const { return payloads_; }

 private:
  Waveform mark(std::vector<float> samples);
  WatermarkKey key_;
  std::string consent_id_, output_id_;
  int rate_;
  std::vector<float> pending_;
  std::vector<std::uint32_t> payloads_;
};

// Disclosures. Outputs disclose that they are synthetic unless the user removes it, and the
// manifest records either way, with the territory it was made for:
//   spoken notice   say appends disclosure_notice(language), in the same voice
//   on-screen label lipsync draws kDisclosureLabel on every frame
// Languages without a notice text get the English one.
std::string disclosure_notice(const std::string& language);
inline constexpr const char* kDisclosureLabel = "Synthetic lip movement (AI-generated)";

// A fresh output id ("out-" + 24 hex digits).
std::string new_output_id();

// The manifest of audio spoken in an authorised voice: created with digitalSourceType
// trainedAlgorithmicMedia, the consent record named, the models listed with their hashes.
Manifest spoken_audio_manifest(const AuthorizedVoice& voice, const std::string& output_id, const std::string& output_path,
                               const std::vector<std::string>& model_files, const std::string& software);

// The manifest of a video whose mouth region was re-rendered to new speech: edited with
// digitalSourceType compositeWithTrainedAlgorithmicMedia, the source video (parentOf) and the
// speech (inputTo) as ingredients, the generator's hash, the region, the consent record.
Manifest lipsync_manifest(const ConsentRecord& consent, const std::string& output_id, const std::string& output_path,
                          const std::string& video, const std::string& speech, const std::vector<std::string>& model_files,
                          const std::string& software, const std::optional<ManifestRegion>& region);

// The manifest of a dubbed video: the speech created in an authorised voice
// (trainedAlgorithmicMedia), the mouth re-rendered (compositeWithTrainedAlgorithmicMedia),
// translated from `source_language` (may be "" when unknown) to the voice's language; the
// source video as parentOf, the script and the optional background stem as inputTo, the
// enrollment audio, the models, the re-rendered region.
Manifest dub_manifest(const AuthorizedVoice& voice, const std::string& output_id, const std::string& output_path,
                      const std::string& video, const std::string& script, const std::string& background,
                      const std::string& source_language, const std::vector<std::string>& model_files,
                      const std::string& software, const std::optional<ManifestRegion>& region);

// Embeds and signs `m` into the finished file at `path` (WAV or MP4), writes the sidecar and
// appends the render-log entry (action, consent id, the file's hash, its payloads).
void sign_output(const std::string& path, Manifest& m, const SigningKey& key, const std::string& render_log,
                 const std::string& action);

}  // namespace dubkit
