#include "jobs/voice_adapt_job.hpp"

#include <filesystem>

#include "core/error.hpp"
#include "core/utf8.hpp"
#include "jobs/adaptation_inputs.hpp"
#include "provenance/adaptation_consent.hpp"
#include "provenance/crypto.hpp"
#include "train/run_dir.hpp"
#include "voice/speaker_encoder.hpp"

namespace dubkit {

namespace fs = std::filesystem;

void VoiceAdaptJobOptions::validate() const {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw InvalidArgument("voice adapt: " + what);
  };
  need(!profile.empty(), "--profile is required");
  need(!audio.empty(), "--audio is required");
  need(!consent.empty(), "--consent is required");
  need(fs::path(output).extension() == ".voice", "the output '" + output + "' must end in .voice");
  need(output != profile, "the output must not overwrite the profile it adapts");
  need(!encoder.empty() && !key.empty() && !trust_dir.empty(), "an encoder, a studio key and a trust store are required");
  need(script.empty() || transcripts.empty(), "give --text or --transcripts, not both");
}

VoiceAdaptJobReport voice_adapt_job(const VoiceAdaptJobOptions& o, const std::function<void(long, long, double)>& progress) {
  o.validate();
  const VoiceProfile base = read_voice_profile(o.profile);
  const std::vector<std::string> recordings = adaptation_recordings(o.audio);
  VoiceAdaptOptions a = o.adapt;
  a.clips = adaptation_clips(recordings, o.script, o.transcripts);
  a.embedding = base.embedding;
  if (a.work_dir.empty()) a.work_dir = o.output + ".work";
  a.resume = a.resume || latest_checkpoint(a.work_dir) >= 0;
  a.validate();
  const SigningKey key = read_signing_key(o.key);
  const TrustStore trust(o.trust_dir);
  if (!trust.find(key.public_key.id()))
    throw ConsentRefused("the signing key " + key.name + " (" + key.public_key.id() + ") is not in the trust store " + trust.dir());

  VoiceAdaptJobReport report;
  const AdaptationConsent consent = [&] {
    const LoadedEncoder encoder = load_speaker_encoder(o.encoder);
    return authorize_adaptation(base, o.consent, trust, encoder, recordings, a.lang);
  }();
  report.similarities = consent.similarities;
  report.threshold = consent.threshold;

  const VoiceAdaptResult learned = adapt_voice(a, progress);
  report.adaptation = learned.report;
  VoiceAdaptation adaptation;
  adaptation.synthesizer = fs::path(a.synthesizer).filename().string();
  adaptation.synthesizer_sha256 = sha256_file_hex(a.synthesizer);
  // The recordings it learned from: those with a clip that was not left out.
  for (const std::string& r : recordings)
    for (std::size_t i = 0; i < a.clips.size(); ++i)
      if (a.clips[i].audio == r && learned.report.clips[i].refused.empty()) {
        adaptation.files.push_back(to_valid_utf8(fs::path(r).filename().string()));
        adaptation.sha256.push_back(sha256_file_hex(r));
        break;
      }
  adaptation.speech_seconds = learned.report.seconds;
  adaptation.steps = learned.report.steps;
  adaptation.parameters = learned.adapter;
  report.profile = sign_adapted_voice(base, consent.record, std::move(adaptation), trust, key);
  write_voice_profile(o.output, report.profile);
  std::error_code ec;
  fs::remove_all(a.work_dir, ec);
  return report;
}

}  // namespace dubkit
