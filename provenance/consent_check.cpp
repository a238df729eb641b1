#include "provenance/consent_check.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "audio/io.hpp"
#include "core/error.hpp"
#include "core/utf8.hpp"
#include "voice/keyword_spotter.hpp"
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
  const NamedPublicKey* k = trust.find(r.key_id, KeyRole::Studio);
  if (!k && trust.find(r.key_id, KeyRole::Witness))
    return {"signature", false, "signed by key " + r.key_id + ", which the trust store " + trust.dir() + " trusts only as a witness"};
  if (!k) return {"signature", false, "signed by key " + r.key_id + ", which is not in the trust store " + trust.dir()};
  if (!verify_message(k->key, consent_signing_text(r), r.signature))
    return {"signature", false, "the signature by " + k->name + " (" + r.key_id + ") does not match the record"};
  return {"signature", true, "signed by " + k->name + " (" + r.key_id + "), trusted as a studio key"};
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
  // Only a key trusted as a witness attests (issue 22, item 4): a studio could otherwise make a
  // second key of its own and attest any voice.
  const NamedPublicKey* k = trust.find(a.key_id, KeyRole::Witness);
  if (!k && trust.find(a.key_id, KeyRole::Studio))
    return {"attestation", false, "the witness key " + a.key_id + " is trusted as a studio key, not as a witness "
                                  "(a witness key is trusted with: consent trust --role witness)"};
  if (!k) return {"attestation", false, "the witness key " + a.key_id + " is not trusted as a witness"};
  if (!verify_message(k->key, attestation_signing_text(r), a.signature))
    return {"attestation", false, "the witness signature of " + a.witness + " does not match the record"};
  return {"attestation", true, "attested by " + a.witness + " (" + a.role + "), key " + k->name + ", trusted as a witness"};
}

// Each challenge word must be heard after these words, in order (issue 22, item 2): the
// statement's sentence-level word error rate passes a recording whose last four words are
// missing or different.
constexpr const char* kChallengeAnchor = "challenge words";

ConsentCheck check_challenge(const std::vector<SpottedWord>& words, double min_score) {
  if (words.empty()) return {"challenge", false, "the record has no challenge words"};
  std::string each, missing;
  for (const SpottedWord& w : words) {
    const std::string margin = std::isinf(w.margin) ? "none" : fixed(w.margin, 2);
    each += (each.empty() ? "" : ", ") + w.word + " " +
            (w.found ? fixed(w.score, 2) + " (margin " + margin + ")" : std::string("not found"));
    if (!w.found || w.score < min_score || w.margin <= 0) missing += (missing.empty() ? "" : ", ") + w.word;
  }
  return {"challenge", missing.empty(),
          "keyword score per frame after \"" + std::string(kChallengeAnchor) + "\": " + each + " (heard at >= " +
              fixed(min_score, 2) + ", ahead of every other challenge word)" +
              (missing.empty() ? "" : "; not heard: " + missing)};
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
  } else if (const std::string used = trust.statement_use(st.audio_sha256); !used.empty() && used != r.id) {
    // Issue 22, item 3: one recording, one record.
    statement.detail = "the recording " + audio + " already enrolled a voice under consent " + used;
  } else if (st.text != consent_statement_text(r)) {
    statement.detail = "the statement text does not name this performer, studio and challenge";
  } else {
    RecognizerConfig rc;
    if (!opts.recognizer_model_dir.empty()) rc.model_dir = opts.recognizer_model_dir;
    const Waveform said = read_mono(audio);
    v.heard = SpeechRecognizer(rc).transcribe(said);
    v.word_error_rate = word_errors(st.text, v.heard).rate();
    statement.passed = v.word_error_rate <= opts.max_word_error_rate;
    statement.detail = "word error rate " + fixed(v.word_error_rate) + " (at most " + fixed(opts.max_word_error_rate, 2) +
                       "); heard \"" + v.heard + "\"";
    v.challenge_words =
        KeywordSpotter(rc).spot_in_order(said, kChallengeAnchor, normalize_words(st.challenge), challenge_vocabulary());
  }
  v.checks.push_back(statement);
  if (!std::isnan(v.word_error_rate)) v.checks.push_back(check_challenge(v.challenge_words, opts.min_challenge_score));
  if (!opts.enrollment.empty()) {
    if (!opts.encoder) throw InvalidArgument("verify consent: enrollment audio given without a speaker encoder");
    if (std::isnan(opts.encoder->threshold))
      throw InvalidArgument(opts.encoder->source + ": the encoder has no calibrated same-speaker threshold");
    ConsentCheck speaker{"speaker", false, ""};
    if (!statement.passed && !fs::is_regular_file(audio, ec)) {
      speaker.detail = "no statement recording to compare";
    } else {
      // Each file on its own: an average would let another speaker's recordings ride on the
      // performer's (issue 22, item 1).
      SpeakerEncoder model = opts.encoder->model;
      const VoiceEmbedding said = embed_file(model, audio);
      std::vector<VoiceEmbedding> files;
      std::string each, strangers;
      v.speaker_threshold = opts.encoder->threshold;
      for (const std::string& f : opts.enrollment) {
        files.push_back(embed_file(model, f));
        const double cosine = embedding_similarity(said.embedding, files.back().embedding);
        v.enrollment_similarities.push_back(cosine);
        const std::string name = to_valid_utf8(fs::path(f).filename().string());
        each += (each.empty() ? "" : ", ") + name + " " + fixed(cosine);
        if (cosine < v.speaker_threshold) strangers += (strangers.empty() ? "" : ", ") + name;
      }
      const AveragedEmbedding enrolled = average_embedding(files);
      v.speaker_similarity = *std::min_element(v.enrollment_similarities.begin(), v.enrollment_similarities.end());
      v.enrollment_embedding = enrolled.embedding;
      v.enrollment_speech_seconds = enrolled.speech_seconds;
      speaker.passed = strangers.empty();
      speaker.detail = "cosine between the statement and each enrollment file: " + each + " (same speaker at >= " +
                       fixed(v.speaker_threshold) + ")" + (strangers.empty() ? "" : "; another speaker in " + strangers);
    }
    v.checks.push_back(speaker);
  }
  return v;
}

VoiceProfile enroll_consented_voice(const std::string& consent_path, TrustStore& trust, const LoadedEncoder& encoder,
                                    const std::vector<std::string>& audio, const SigningKey& studio, const std::string& name,
                                    const ConsentVerifyOptions& opts) {
  if (audio.empty()) throw InvalidArgument("enroll: no audio files");
  // Issue 22, item 5: another day is for inspecting a record, never for making a voice from it.
  if (!opts.today.empty())
    throw InvalidArgument("enroll: a voice is enrolled under consent valid today; a date (" + opts.today +
                          ") is only for inspecting a record (consent verify --date)");
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
  if (r.statement) trust.use_statement(r.statement->audio_sha256, r.id);

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
    p.enrollment_files.push_back(to_valid_utf8(fs::path(f).filename().string()));
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
    throw InvalidArgument("use '" + use + "' is not one of " + consent_uses_text());
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
