// The consent gate of `voice adapt`: before any learning, that the recordings may fine-tune a
// model to this voice, and afterwards the adapted profile signed.
//
// authorize_adaptation checks, all of which must pass:
//   profile     the base profile is signed by a key the trust store trusts
//   record      the consent record verifies as at enrollment (signature, validity, revocation;
//               spoken path: the statement's words, and its speaker against every recording)
//   scope       the record's uses include "adaptation" and a use that covers a voice, and its
//               languages include the adaptation's language
//   performer   the record names the performer the profile was enrolled under
//   speaker     every recording on its own is the profile's voice (speaker-encoder cosine with
//               the profile's embedding at or above the encoder's calibrated threshold): a
//               consented profile cannot be fine-tuned onto somebody else's recordings
#pragma once

#include <string>
#include <vector>

#include "provenance/consent.hpp"
#include "provenance/trust_store.hpp"
#include "voice/voice_profile.hpp"

namespace dubkit {

struct LoadedEncoder;

struct AdaptationConsent {
  ConsentRecord record;
  std::vector<double> similarities;  // each recording against the profile's embedding, in order
  double threshold = 0;              // the encoder's calibrated same-speaker threshold
};

// Throws ConsentRefused naming the failed check (and each recording that failed), InvalidArgument
// for an encoder without a threshold or other than the profile's, IoError / FormatError for files.
AdaptationConsent authorize_adaptation(const VoiceProfile& base, const std::string& consent_path, const TrustStore& trust,
                                       const LoadedEncoder& encoder, const std::vector<std::string>& recordings,
                                       const std::string& language);

// The adapted profile: `base` with `adaptation`, the record that allowed it, a fresh creation
// time and the studio's signature. Throws ConsentRefused when `studio` is not trusted.
VoiceProfile sign_adapted_voice(const VoiceProfile& base, const ConsentRecord& record, VoiceAdaptation adaptation,
                                const TrustStore& trust, const SigningKey& studio);

}  // namespace dubkit
