// The one gate every published output passes through. A job opens a gate before it makes
// anything, and publishes the finished file through it:
//
//   open     consent re-checked for this use, language and day (the voice profile's and its
//            record's signatures, scope, validity, revocation; or a performer's record), the
//            studio key read, a fresh output id drawn: a refusal costs no work
//   claim    the output's path, checked before any work (a UTF-8 file name: the manifest
//            names it); from here until publish completes, a failure leaves nothing behind
//   mark     AudioMarker (sound) and VideoMarker (re-rendered frames), keyed by the studio key,
//            the consent id and the output id
//   disclose whether the job discloses (the spoken notice, the on-screen label)
//   publish  the manifest gets the marks' payloads and the disclosure (kind, applied,
//            territory), is signed and embedded, its sidecar written, the render log appended:
//            one step; when any part fails (or the job fails before it), the gate removes the
//            claimed output and its sidecar, so no marked file is left unsigned or unlogged
//
// The lower-level functions the jobs are made of (TextToSpeech::say, lipsync_video, the dub
// stages) are unpublished building blocks: their outputs carry none of this. Only a gate
// makes a published output, and only a consent check makes a gate.
// Not thread-safe; one gate per output.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "provenance/consent_check.hpp"
#include "provenance/crypto.hpp"
#include "provenance/manifest.hpp"
#include "provenance/publish.hpp"
#include "provenance/video_watermark.hpp"

namespace dubkit {

// What a published output needs from whoever asks for it.
struct PublishOptions {
  std::string key;                    // studio key file: the watermark key and the manifest signature
  std::string trust_dir;              // trust store folder
  std::string render_log;             // render log file
  std::string territory = "worldwide";  // where the output is published (recorded with its disclosure)
  bool disclose = true;               // false: the disclosure is left out (the manifest says so)
  void validate() const;              // throws InvalidArgument naming the flag
  // The key, trust store and render log from the environment: $DUBKIT_KEY, $DUBKIT_TRUST_DIR,
  // $DUBKIT_RENDER_LOG, else their places under $HOME.
  static PublishOptions defaults();
};

class RenderGate {
 public:
  // Consent is checked for today (UTC), never another day: a date is only for inspecting a
  // record (issue 22, item 5).
  // For speech in a voice (say, dub): the profile at `profile_path` authorised for `use` in
  // `language`, and its record for every use in `also_uses` (a dub also re-renders the mouth:
  // "lip-sync"). Throws ConsentRefused naming the condition, InvalidArgument, IoError,
  // FormatError naming the file.
  static RenderGate for_voice(const std::string& profile_path, const std::string& use, const std::string& language,
                              const std::vector<std::string>& also_uses, const PublishOptions& o);
  // For a performer's face (lipsync): the record at `consent_path` authorised for `use`.
  static RenderGate for_performer(const std::string& consent_path, const std::string& use, const PublishOptions& o);

  RenderGate(RenderGate&& other) noexcept;
  RenderGate(const RenderGate&) = delete;
  RenderGate& operator=(const RenderGate&) = delete;
  RenderGate& operator=(RenderGate&&) = delete;
  // Removes the claimed output and its sidecar unless it was published.
  ~RenderGate();

  // The file this gate's output will be (before the job writes it). Throws InvalidArgument
  // naming the path when its file name is not UTF-8. Once per gate.
  void claim(const std::string& path);

  const std::string& output_id() const { return output_id_; }
  const ConsentRecord& consent() const { return consent_; }
  // The authorised voice; throws InvalidArgument for a performer's gate.
  const AuthorizedVoice& voice() const;
  bool disclose() const { return options_.disclose; }
  // A marker for this output's audio at `rate` Hz.
  AudioMarker marker(int rate) const;
  // A marker for this output's re-rendered frames: second k carries the payload of the audio's block k.
  VideoMarker video_marker() const;
  // A keyed hash (HMAC-SHA-256 under the studio's secret) of `message`, for the job's work files:
  // a file swapped between a run and its resume fails its seal (issue 22, item 8).
  std::string seal(const std::string& message) const;

  // Publishes the claimed file, finished, with `m` (from publish.hpp's manifest builders), the
  // payloads the marker made and the kind of disclosure the job applies ("spoken notice",
  // "on-screen label"), then logs it under `action`. Once per gate.
  void publish(Manifest m, const std::vector<std::uint32_t>& payloads, const std::string& disclosure_kind,
               const std::string& action);

 private:
  RenderGate(ConsentRecord consent, std::optional<AuthorizedVoice> voice, const PublishOptions& o);
  ConsentRecord consent_;
  std::optional<AuthorizedVoice> voice_;
  PublishOptions options_;
  SigningKey key_;
  std::string output_id_;
  // A regular file as the file system knows it (device, inode): tells a file this job wrote
  // from one that was there before.
  struct FileIdentity {
    bool exists = false;
    unsigned long long device = 0, inode = 0;
    bool operator==(const FileIdentity& o) const { return exists == o.exists && device == o.device && inode == o.inode; }
  };
  static FileIdentity file_identity(const std::string& path);
  std::string claimed_;
  FileIdentity claimed_was_, sidecar_was_;
  bool published_ = false;
};

}  // namespace dubkit
