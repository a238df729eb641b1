#include "provenance/publish.hpp"

#include <cstdlib>
#include <filesystem>
#include <utility>

#include "core/error.hpp"
#include "provenance/render_log.hpp"

namespace dubkit {

namespace fs = std::filesystem;

AudioMarker::AudioMarker(const WatermarkKey& key, std::string consent_id, std::string output_id, int rate)
    : key_(key), consent_id_(std::move(consent_id)), output_id_(std::move(output_id)), rate_(rate) {
  if (rate <= 0) throw InvalidArgument("AudioMarker: rate must be positive");
}

Waveform AudioMarker::mark(std::vector<float> samples) {
  const std::size_t first = payloads_.size();
  Waveform w{rate_, std::move(samples)};
  const std::size_t blocks = (w.samples.size() + rate_ - 1) / rate_;
  for (std::size_t b = 0; b < blocks; ++b) payloads_.push_back(watermark_payload(key_, consent_id_, output_id_, first + b));
  const std::vector<std::uint32_t> mine(payloads_.begin() + static_cast<long>(first), payloads_.end());
  return embed_watermark(w, key_, [&](std::size_t block) { return block < mine.size() ? mine[block] : mine.back(); });
}

Waveform AudioMarker::push(const Waveform& piece) {
  if (piece.rate != rate_) throw InvalidArgument("AudioMarker: audio at " + std::to_string(piece.rate) + " Hz, expected " + std::to_string(rate_));
  pending_.insert(pending_.end(), piece.samples.begin(), piece.samples.end());
  const std::size_t whole = pending_.size() / rate_ * rate_;
  if (whole == 0) return {rate_, {}};
  std::vector<float> blocks(pending_.begin(), pending_.begin() + static_cast<long>(whole));
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<long>(whole));
  return mark(std::move(blocks));
}

Waveform AudioMarker::finish() {
  if (pending_.empty()) return {rate_, {}};
  return mark(std::exchange(pending_, {}));
}

std::string new_output_id() { return "out-" + random_hex(12); }

Manifest spoken_audio_manifest(const AuthorizedVoice& voice, const std::string& output_id, const std::string& output_path,
                               const std::vector<std::string>& model_files, const std::string& software) {
  Manifest m;
  m.instance_id = output_id;
  m.title = fs::path(output_path).filename().string();
  m.mime = "audio/wav";
  m.created = now_utc();
  m.claim_generator = software;
  m.actions.push_back({"c2pa.created", kTrainedAlgorithmicMedia, software, "", ""});
  const VoiceProfile& p = voice.profile();
  for (std::size_t i = 0; i < p.enrollment_files.size() && i < p.enrollment_sha256.size(); ++i)
    m.ingredients.push_back({p.enrollment_files[i], "inputTo", "enrollment audio", p.enrollment_sha256[i]});
  for (const std::string& f : model_files) m.models.push_back({fs::path(f).filename().string(), sha256_file_hex(f)});
  m.consent_id = voice.consent().id;
  m.consent_path = voice.consent().attested() ? "attested" : "spoken";
  m.consent_key_id = voice.consent().key_id;
  return m;
}

Manifest lipsync_manifest(const ConsentRecord& consent, const std::string& output_id, const std::string& output_path,
                          const std::string& video, const std::string& speech, const std::vector<std::string>& model_files,
                          const std::string& software, const std::optional<ManifestRegion>& region) {
  Manifest m;
  m.instance_id = output_id;
  m.title = fs::path(output_path).filename().string();
  m.mime = "video/mp4";
  m.created = now_utc();
  m.claim_generator = software;
  m.actions.push_back({"c2pa.edited", kCompositeWithTrainedAlgorithmicMedia, software, "", ""});
  m.ingredients.push_back({fs::path(video).filename().string(), "parentOf", "source video", sha256_file_hex(video)});
  m.ingredients.push_back({fs::path(speech).filename().string(), "inputTo", "speech", sha256_file_hex(speech)});
  for (const std::string& f : model_files) m.models.push_back({fs::path(f).filename().string(), sha256_file_hex(f)});
  m.consent_id = consent.id;
  m.consent_path = consent.attested() ? "attested" : "spoken";
  m.consent_key_id = consent.key_id;
  m.region = region;
  return m;
}

void sign_output(const std::string& path, Manifest& m, const SigningKey& key, const std::string& render_log,
                 const std::string& action) {
  embed_manifest(path, m, key);
  RenderLogEntry e;
  const char* user = std::getenv("USER");
  e.user = user ? user : "";
  e.action = action;
  e.consent_id = m.consent_id;
  e.outputs.push_back({fs::absolute(path).string(), sha256_file_hex(path)});
  e.watermark_payloads = m.watermark_payloads;
  append_render_log(render_log, e);
}

}  // namespace dubkit
