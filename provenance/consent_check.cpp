#include "provenance/consent_check.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "audio/io.hpp"
#include "core/error.hpp"
#include "voice/speaker_encoder.hpp"
#include "voice/speech_recognizer.hpp"
#include "voice/voice_embedding.hpp"

namespace dubkit {

namespace fs = std::filesystem;

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

std::string fixed(double x, int digits = 3) {
  std::ostringstream s;
  s.precision(digits);
  s << std::fixed << x;
  return s.str();
}

bool contains(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

ConsentCheck check_signature(const ConsentRecord& r, const TrustStore& trust) {
  const NamedPublicKey* k = trust.find(r.key_id);
  if (!k) return {"signature", false, "signed by key " + r.key_id + ", which is not in the trust store " + trust.dir()};
  if (!verify_message(k->key, consent_signing_text(r), r.signature))
    return {"signature", false, "the signature by " + k->name + " (" + r.key_id + ") does not match the record"};
  return {"signature", true, "signed by " + k->name + " (" + r.key_id + ")"};
}

ConsentCheck check_validity(const ConsentRecord& r, const std::string& today) {
  if (today < r.valid_from) return {"validity", false, "not valid before " + r.valid_from + " (today is " + today + ")"};
  if (today > r.valid_until) return {"validity", false, "expired on " + r.valid_until + " (today is " + today + ")"};
  return {"validity", true, r.valid_from + " to " + r.valid_until};
}

ConsentCheck check_revocation(const ConsentRecord& r, const TrustStore& trust) {
  if (const auto rev = trust.revocation(r.id, r.key_id))
    return {"revocation", false, "revoked on " + rev->revoked + (rev->reason.empty() ? "" : ": " + rev->reason)};
  return {"revocation", true, "not revoked"};
}

ConsentCheck check_attestation(const ConsentRecord& r, const TrustStore& trust) {
  const Attestation& a = *r.attestation;
  if (a.key_id == r.key_id) return {"attestation", false, "the witness key is the studio's own: an attestation needs an independent witness"};
  const NamedPublicKey* k = trust.find(a.key_id);
  if (!k) return {"attestation", false, "the witness key " + a.key_id + " is not in the trust store"};
  if (!verify_message(k->key, attestation_signing_text(r), a.signature))
    return {"attestation", false, "the witness signature of " + a.witness + " does not match the record"};
  return {"attestation", true, "attested by " + a.witness + " (" + a.role + "), key " + k->name};
}

}  // namespace

bool ConsentVerification::passed() const {
  return !checks.empty() && std::all_of(checks.begin(), checks.end(), [](const ConsentCheck& c) { return c.passed; });
}

std::string ConsentVerification::failures() const {
  std::string out;
  for (const ConsentCheck& c : checks)
    if (!c.passed) out += (out.empty() ? "" : "; ") + c.name + ": " + c.detail;
  return out;
}

ConsentVerification verify_consent(const ConsentRecord& r, const std::string& record_dir, const TrustStore& trust,
                                   const ConsentVerifyOptions& opts) {
  const std::string today = opts.today.empty() ? today_utc() : opts.today;
  ConsentVerification v;
  v.checks.push_back(check_signature(r, trust));
  v.checks.push_back(check_validity(r, today));
  v.checks.push_back(check_revocation(r, trust));
  if (r.attested()) {
    v.checks.push_back(check_attestation(r, trust));
    return v;
  }
  const SpokenStatement& st = *r.statement;
  const std::string audio = (fs::path(record_dir) / st.audio).string();
  ConsentCheck statement{"statement", false, ""};
  std::error_code ec;
  if (!fs::is_regular_file(audio, ec)) {
    statement.detail = "the recording " + audio + " is missing";
  } else if (sha256_file_hex(audio) != st.audio_sha256) {
    statement.detail = "the recording " + audio + " is not the one the record was signed with (SHA-256 differs)";
  } else if (st.text != consent_statement_text(r)) {
    statement.detail = "the statement text does not name this performer, studio and challenge";
  } else {
    RecognizerConfig rc;
    if (!opts.recognizer_model_dir.empty()) rc.model_dir = opts.recognizer_model_dir;
    SpeechRecognizer recognizer(rc);
    v.heard = recognizer.transcribe(read_mono(audio));
    v.word_error_rate = word_errors(st.text, v.heard).rate();
    statement.passed = v.word_error_rate <= opts.max_word_error_rate;
    statement.detail = "word error rate " + fixed(v.word_error_rate) + " (at most " + fixed(opts.max_word_error_rate, 2) +
                       "); heard \"" + v.heard + "\"";
  }
  v.checks.push_back(statement);
  if (!opts.enrollment.empty()) {
    if (!opts.encoder) throw InvalidArgument("verify consent: enrollment audio given without a speaker encoder");
    if (std::isnan(opts.encoder->threshold))
      throw InvalidArgument(opts.encoder->source + ": the encoder has no calibrated same-speaker threshold");
    ConsentCheck speaker{"speaker", false, ""};
    if (!statement.passed && !fs::is_regular_file(audio, ec)) {
      speaker.detail = "no statement recording to compare";
    } else {
      SpeakerEncoder model = opts.encoder->model;
      const VoiceEmbedding said = embed_file(model, audio);
      const AveragedEmbedding enrolled = average_embedding(model, opts.enrollment);
      const torch::Tensor e = torch::from_blob(const_cast<float*>(enrolled.embedding.data()),
                                               {static_cast<long>(enrolled.embedding.size())});  // lives in `enrolled`
      v.speaker_similarity = embedding_similarity(said.embedding, e);
      v.enrollment_embedding = enrolled.embedding;
      v.enrollment_speech_seconds = enrolled.speech_seconds;
      v.speaker_threshold = opts.encoder->threshold;
      speaker.passed = v.speaker_similarity >= v.speaker_threshold;
      speaker.detail = "cosine " + fixed(v.speaker_similarity) + " between statement and enrollment (same speaker at >= " +
                       fixed(v.speaker_threshold) + ")";
    }
    v.checks.push_back(speaker);
  }
  return v;
}

VoiceProfile enroll_consented_voice(const std::string& consent_path, const TrustStore& trust, const LoadedEncoder& encoder,
                                    const std::vector<std::string>& audio, const SigningKey& studio, const std::string& name,
                                    const ConsentVerifyOptions& opts) {
  if (audio.empty()) throw InvalidArgument("enroll: no audio files");
  const ConsentRecord r = read_consent(consent_path);
  if (std::none_of(r.uses.begin(), r.uses.end(), use_covers_voice))
    throw ConsentRefused(consent_path + ": the record's uses (" + join(r.uses) + ") do not cover a voice");
  if (!trust.find(studio.public_key.id()))
    throw ConsentRefused("the signing key " + studio.name + " (" + studio.public_key.id() + ") is not in the trust store " + trust.dir());
  ConsentVerifyOptions o = opts;
  o.encoder = &encoder;
  o.enrollment = r.attested() ? std::vector<std::string>{} : audio;
  const ConsentVerification v = verify_consent(r, fs::path(consent_path).parent_path().string(), trust, o);
  if (!v.passed()) throw ConsentRefused(consent_path + ": consent not verified: " + v.failures());

  AveragedEmbedding avg{v.enrollment_embedding, v.enrollment_speech_seconds};
  if (avg.embedding.empty()) {  // attested: no speaker check embedded the files
    SpeakerEncoder model = encoder.model;
    avg = average_embedding(model, audio);
  }
  VoiceProfile p;
  p.name = name;
  p.created = now_utc();
  p.encoder = fs::path(encoder.source).filename().string();
  p.embedding = avg.embedding;
  p.speech_seconds = avg.speech_seconds;
  for (const std::string& f : audio) {
    p.enrollment_files.push_back(fs::path(f).filename().string());
    p.enrollment_sha256.push_back(sha256_file_hex(f));
  }
  p.statement_similarity = v.speaker_similarity;
  p.consent = consent_compact_json(r);
  p.key_id = studio.public_key.id();
  p.signature = sign_message(studio, voice_profile_signing_text(p));
  return p;
}

void authorize_use(const ConsentRecord& r, const TrustStore& trust, const std::string& use, const std::string& day) {
  if (std::find(consent_uses().begin(), consent_uses().end(), use) == consent_uses().end())
    throw InvalidArgument("use '" + use + "' is not one of dubbing, lip-sync, voice-restoration, research");
  const std::string today = day.empty() ? today_utc() : day;
  for (const ConsentCheck& c : {check_signature(r, trust), check_validity(r, today), check_revocation(r, trust)})
    if (!c.passed) throw ConsentRefused("consent " + r.id + ": " + c.name + ": " + c.detail);
  if (!contains(r.uses, use))
    throw ConsentRefused("consent " + r.id + " does not cover the use '" + use + "' (it covers " + join(r.uses) + ")");
}

AuthorizedVoice authorize_voice(const VoiceProfile& profile, const TrustStore& trust, const std::string& use,
                                const std::string& language, const std::string& today) {
  const std::string who = "voice '" + profile.name + "'";
  const NamedPublicKey* signer = trust.find(profile.key_id);
  if (!signer) throw ConsentRefused(who + ": the profile is signed by key " + profile.key_id + ", which is not trusted");
  if (!verify_message(signer->key, voice_profile_signing_text(profile), profile.signature))
    throw ConsentRefused(who + ": the profile's signature does not match it (altered after enrollment?)");
  const ConsentRecord r = parse_consent(profile.consent, who + " consent record");
  try {
    authorize_use(r, trust, use, today);
  } catch (const ConsentRefused& e) {
    throw ConsentRefused(who + ": " + e.what());
  }
  if (!use_covers_voice(use)) throw ConsentRefused(who + ": the use '" + use + "' does not cover speaking in this voice");
  if (!contains(r.languages, language))
    throw ConsentRefused(who + ": consent " + r.id + " does not cover the language '" + language + "' (it covers " +
                         join(r.languages) + ")");
  return AuthorizedVoice(profile, r, use, language);
}

}  // namespace dubkit
