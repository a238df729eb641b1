#include "jobs/render_gate.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <system_error>
#include <utility>

#include "core/error.hpp"
#include "core/utf8.hpp"
#include "provenance/render_log.hpp"
#include "provenance/trust_store.hpp"
#include "voice/voice_profile.hpp"

namespace fs = std::filesystem;

namespace dubkit {

RenderGate::FileIdentity RenderGate::file_identity(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return {};
  return {true, st.st_dev, st.st_ino};
}

void PublishOptions::validate() const {
  if (key.empty()) throw InvalidArgument("--key: a studio key file is required to sign the output");
  if (trust_dir.empty()) throw InvalidArgument("--trust: a trust store folder is required");
  if (render_log.empty()) throw InvalidArgument("--render-log: a render log file is required");
  if (territory.empty()) throw InvalidArgument("--territory must not be empty");
}

PublishOptions PublishOptions::defaults() {
  PublishOptions o;
  o.key = default_key_path();
  o.trust_dir = TrustStore::default_dir();
  o.render_log = default_render_log();
  return o;
}

RenderGate::RenderGate(ConsentRecord consent, std::optional<AuthorizedVoice> voice, const PublishOptions& o)
    : consent_(std::move(consent)), voice_(std::move(voice)), options_(o), key_(read_signing_key(o.key)),
      output_id_(new_output_id()) {}

RenderGate RenderGate::for_voice(const std::string& profile_path, const std::string& use, const std::string& language,
                                 const std::vector<std::string>& also_uses, const PublishOptions& o) {
  o.validate();
  const TrustStore trust(o.trust_dir);
  AuthorizedVoice voice = authorize_voice(read_voice_profile(profile_path), trust, use, language);
  for (const std::string& u : also_uses) authorize_use(voice.consent(), trust, u);
  ConsentRecord consent = voice.consent();
  return RenderGate(std::move(consent), std::move(voice), o);
}

RenderGate RenderGate::for_performer(const std::string& consent_path, const std::string& use, const PublishOptions& o) {
  o.validate();
  ConsentRecord consent = read_consent(consent_path);
  authorize_use(consent, TrustStore(o.trust_dir), use);
  return RenderGate(std::move(consent), std::nullopt, o);
}

RenderGate::RenderGate(RenderGate&& o) noexcept
    : consent_(std::move(o.consent_)), voice_(std::move(o.voice_)), options_(std::move(o.options_)), key_(o.key_),
      output_id_(std::move(o.output_id_)), claimed_(std::exchange(o.claimed_, {})), claimed_was_(o.claimed_was_),
      sidecar_was_(o.sidecar_was_), published_(o.published_) {}

RenderGate::~RenderGate() {
  if (claimed_.empty() || published_) return;
  // Only files this job made: atomic writes give a new file, so one that is still what was
  // there at the claim (a user's earlier output) stays.
  for (const auto& [path, before] : {std::pair(claimed_, claimed_was_), std::pair(sidecar_path(claimed_), sidecar_was_)})
    if (const FileIdentity now = file_identity(path); now.exists && !(now == before)) {
      std::error_code ec;  // a destructor cleans up what it can
      fs::remove(path, ec);
    }
}

void RenderGate::claim(const std::string& path) {
  if (!claimed_.empty()) throw InvalidArgument("render gate: output " + output_id_ + " already claimed " + claimed_);
  const std::string name = fs::path(path).filename().string();
  if (first_invalid_utf8(name) != std::string::npos)
    throw InvalidArgument("-o: the output's file name is not UTF-8 (the signed manifest names it): " + path);
  claimed_ = path;
  claimed_was_ = file_identity(path);
  sidecar_was_ = file_identity(sidecar_path(path));
}

const AuthorizedVoice& RenderGate::voice() const {
  if (!voice_) throw InvalidArgument("render gate: opened for a performer's record, not for a voice");
  return *voice_;
}

std::string RenderGate::seal(const std::string& message) const {
  const auto& k = key_.watermark.bytes;
  return hmac_sha256_hex(std::string_view(reinterpret_cast<const char*>(k.data()), k.size()), "dubkit work file\n" + message);
}

AudioMarker RenderGate::marker(int rate) const { return AudioMarker(key_.watermark, consent_.id, output_id_, rate); }

VideoMarker RenderGate::video_marker() const { return VideoMarker(key_.watermark, consent_.id, output_id_); }

void RenderGate::publish(Manifest m, const std::vector<std::uint32_t>& payloads, const std::string& disclosure_kind,
                         const std::string& action) {
  if (claimed_.empty()) throw InvalidArgument("render gate: output " + output_id_ + " was never claimed");
  if (published_) throw InvalidArgument("render gate: output " + output_id_ + " was already published");
  if (m.instance_id != output_id_ || m.consent_id != consent_.id)
    throw InvalidArgument("render gate: the manifest of " + claimed_ + " names another output or consent record");
  m.watermark_payloads = payloads;
  m.disclosures.push_back({options_.territory, disclosure_kind, options_.disclose});
  sign_output(claimed_, m, key_, options_.render_log, action);  // on a throw, the destructor removes the output
  published_ = true;
}

}  // namespace dubkit
