#include "provenance/adaptation_consent.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "core/error.hpp"
#include "core/utf8.hpp"
#include "provenance/consent_check.hpp"
#include "voice/speaker_encoder.hpp"
#include "voice/voice_embedding.hpp"

namespace dubkit {

namespace fs = std::filesystem;

namespace {

std::string fixed(double x) {
  std::ostringstream s;
  s.precision(3);
  s << std::fixed << x;
  return s.str();
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

bool contains(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

}  // namespace

AdaptationConsent authorize_adaptation(const VoiceProfile& base, const std::string& consent_path, const TrustStore& trust,
                                       const LoadedEncoder& encoder, const std::vector<std::string>& recordings,
                                       const std::string& language) {
  const std::string who = "voice '" + base.name + "'";
  if (recordings.empty()) throw InvalidArgument("voice adapt: no recordings");
  if (std::isnan(encoder.threshold))
    throw InvalidArgument(encoder.source + ": the encoder has no calibrated same-speaker threshold");
  if (fs::path(encoder.source).filename().string() != base.encoder)
    throw InvalidArgument(who + " was made with the encoder '" + base.encoder + "', not " + encoder.source);
  const NamedPublicKey* signer = trust.find(base.key_id);
  if (!signer || !verify_message(signer->key, voice_profile_signing_text(base), base.signature))
    throw ConsentRefused(who + ": the profile is not signed by a trusted key (key " + base.key_id + ")");

  AdaptationConsent out;
  out.record = read_consent(consent_path);
  const ConsentRecord& r = out.record;
  if (!contains(r.uses, "adaptation"))
    throw ConsentRefused(consent_path + ": consent " + r.id + " does not cover the use 'adaptation' (it covers " + join(r.uses) +
                         ")");
  if (std::none_of(r.uses.begin(), r.uses.end(), use_covers_voice))
    throw ConsentRefused(consent_path + ": the record's uses (" + join(r.uses) + ") do not cover a voice");
  if (!contains(r.languages, language))
    throw ConsentRefused(consent_path + ": consent " + r.id + " does not cover the language '" + language + "' (it covers " +
                         join(r.languages) + ")");
  const ConsentRecord enrolled = parse_consent(base.consent, who + " consent record");
  if (r.performer != enrolled.performer)
    throw ConsentRefused(consent_path + ": consent " + r.id + " is " + r.performer + "'s; " + who + " is " + enrolled.performer +
                         "'s");
  ConsentVerifyOptions vo;
  vo.encoder = &encoder;
  vo.enrollment = r.attested() ? std::vector<std::string>{} : recordings;
  const ConsentVerification v = verify_consent(r, fs::path(consent_path).parent_path().string(), trust, vo);
  if (!v.passed()) throw ConsentRefused(consent_path + ": consent not verified: " + v.failures());

  SpeakerEncoder model = encoder.model;
  const torch::Tensor profile = torch::tensor(base.embedding);
  out.threshold = encoder.threshold;
  std::string strangers;
  for (const std::string& f : recordings) {
    const double cosine = embedding_similarity(embed_file(model, f).embedding, profile);
    out.similarities.push_back(cosine);
    if (cosine < out.threshold)
      strangers += (strangers.empty() ? "" : ", ") + to_valid_utf8(fs::path(f).filename().string()) + " " + fixed(cosine);
  }
  if (!strangers.empty())
    throw ConsentRefused(who + ": recordings of another speaker than the voice (cosine with its profile below " +
                         fixed(out.threshold) + "): " + strangers);
  return out;
}

VoiceProfile sign_adapted_voice(const VoiceProfile& base, const ConsentRecord& record, VoiceAdaptation adaptation,
                                const TrustStore& trust, const SigningKey& studio) {
  if (!trust.find(studio.public_key.id()))
    throw ConsentRefused("the signing key " + studio.name + " (" + studio.public_key.id() + ") is not in the trust store " +
                         trust.dir());
  VoiceProfile p = base;
  p.created = now_utc();
  p.consent = consent_compact_json(record);
  p.adaptation = std::move(adaptation);
  p.key_id = studio.public_key.id();
  p.signature = sign_message(studio, voice_profile_signing_text(p));
  return p;
}

}  // namespace dubkit
