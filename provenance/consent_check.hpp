// Verifying consent, and the two gates every voice passes: enrollment (a record that verifies,
// spoken statement included, and covers voice use) and each later use (the record's scope
// re-checked: use, language, dates, revocation, signatures).
//
// Spoken path, all of which must pass:
//   signature   the record is signed by a key the trust store trusts as a studio key
//   validity    today lies within valid_from..valid_until
//   revocation  no revocation signed by that key
//   statement   the recording is the one the record names (SHA-256), the record's statement
//               text is the one made from its performer, studio and challenge, no other record
//               enrolled a voice with the same recording (TrustStore::statement_use), and PocketSphinx
//               hears it with a word error rate of at most 25%
//   challenge   each challenge word is heard, in order, after "challenge words" (PocketSphinx
//               keyword spotting: a score per word against a free phone loop, and ahead of every
//               other word of the challenge vocabulary over the same frames)
//   speaker     the statement's speaker matches every enrollment file on its own (speaker-
//               encoder cosine at or above the encoder's calibrated threshold); checked when
//               enrollment audio is given
// Attested path: the witness's signature by a key trusted as a witness (never the studio's) replaces
// the statement and speaker checks; outputs' manifests say so.
#pragma once

#include <limits>
#include <string>
#include <vector>

#include "provenance/consent.hpp"
#include "provenance/trust_store.hpp"
#include "voice/keyword_spotter.hpp"
#include "voice/voice_profile.hpp"

namespace dubkit {

struct LoadedEncoder;

struct ConsentCheck {
  std::string name;    // "signature", "validity", "revocation", "statement", "speaker", "attestation"
  bool passed = false;
  std::string detail;  // the numbers or the reason
};

struct ConsentVerification {
  std::vector<ConsentCheck> checks;
  double word_error_rate = std::numeric_limits<double>::quiet_NaN();
  std::string heard;  // what the recogniser heard
  std::vector<SpottedWord> challenge_words;  // each challenge word as the keyword spotter found it
  double speaker_similarity = std::numeric_limits<double>::quiet_NaN();  // the lowest of enrollment_similarities
  std::vector<double> enrollment_similarities;  // statement vs each enrollment file, in order
  double speaker_threshold = std::numeric_limits<double>::quiet_NaN();
  // The enrollment audio's averaged embedding, when the speaker check made it (enrollment reuses it).
  std::vector<float> enrollment_embedding;
  double enrollment_speech_seconds = 0;

  bool passed() const;
  // "check: detail" of every failed check, joined by "; ", "" when all passed.
  std::string failures() const;
};

struct ConsentVerifyOptions {
  std::string today;                     // YYYY-MM-DD; empty = today in UTC
  double max_word_error_rate = 0.25;
  // Lowest keyword score (SpottedWord::score) at which a challenge word counts as heard; it must
  // also be ahead of every other challenge word there (SpottedWord::margin > 0). Said words of
  // flite's four voices score -0.65 to -7.8 (tests/voice/test_keyword_spotter.cpp).
  double min_challenge_score = -10.0;
  std::string recognizer_model_dir;      // empty = Debian's pocketsphinx-en-us
  const LoadedEncoder* encoder = nullptr;  // required with enrollment audio
  std::vector<std::string> enrollment;   // audio files of the voice to be enrolled
};

// Runs every check and reports each (it does not stop at the first failure). `record_dir`
// is the folder the record's paths are relative to. Throws only for things that are not a
// verdict on the record: a missing recogniser model, an encoder without a threshold.
ConsentVerification verify_consent(const ConsentRecord& record, const std::string& record_dir, const TrustStore& trust,
                                   const ConsentVerifyOptions& opts = {});

// Makes a signed voice profile from enrollment audio. Verifies the record today (opts.today
// must be empty: InvalidArgument otherwise), spoken statement against these very files; throws
// ConsentRefused with the failed checks, or when no use in the record covers a voice. `studio`
// signs the profile; its key must be trusted as a studio key. The statement recording is then
// recorded in the trust store as used by this record (TrustStore::use_statement).
VoiceProfile enroll_consented_voice(const std::string& consent_path, TrustStore& trust, const LoadedEncoder& encoder,
                                    const std::vector<std::string>& audio, const SigningKey& studio,
                                    const std::string& name, const ConsentVerifyOptions& opts = {});

// Checks a record (no recording, no speaker) before one use of what it covers, such as
// re-rendering a performer's mouth: its signature by a trusted key, revocation, validity on
// `today` (empty = today in UTC) and that `use` is one of its uses. Throws ConsentRefused naming
// the condition, InvalidArgument for an unknown use.
void authorize_use(const ConsentRecord& record, const TrustStore& trust, const std::string& use, const std::string& today = "");

// A voice profile whose signature, embedded consent record and scope were checked for one
// use: only authorize_voice makes one.
class AuthorizedVoice {
 public:
  const VoiceProfile& profile() const { return profile_; }
  const ConsentRecord& consent() const { return consent_; }
  const std::string& use() const { return use_; }
  const std::string& language() const { return language_; }

 private:
  friend AuthorizedVoice authorize_voice(const VoiceProfile&, const TrustStore&, const std::string&, const std::string&,
                                         const std::string&);
  AuthorizedVoice(VoiceProfile p, ConsentRecord c, std::string use, std::string lang)
      : profile_(std::move(p)), consent_(std::move(c)), use_(std::move(use)), language_(std::move(lang)) {}
  VoiceProfile profile_;
  ConsentRecord consent_;
  std::string use_, language_;
};

// Re-checks a profile before each use: the profile's signature by a trusted key, the record's
// signature, revocation, validity on `today` (empty = today in UTC), that `use` is one of the
// record's uses and covers a voice, and that `language` is one of its languages. Throws
// ConsentRefused naming the condition that failed, InvalidArgument for an unknown use.
AuthorizedVoice authorize_voice(const VoiceProfile& profile, const TrustStore& trust, const std::string& use,
                                const std::string& language, const std::string& today = "");

}  // namespace dubkit
