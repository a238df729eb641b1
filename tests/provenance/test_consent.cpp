// Consent records end to end: keys, signatures, the spoken statement heard by PocketSphinx, the
// statement's speaker checked by the default speaker encoder, enrollment and every later use.
// The performer and the impostor are flite voices speaking inside the test (seeded).
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "audio/io.hpp"
#include "audio/resample.hpp"
#include "core/error.hpp"
#include "corpus/engines.hpp"
#include "provenance/consent_check.hpp"
#include "support.hpp"
#include "voice/speaker_encoder.hpp"
#include "voice/voice_embedding.hpp"

using namespace dubkit;
namespace fs = std::filesystem;

namespace {

BaseVoice flite_voice(const std::string& id) {
  for (const BaseVoice& v : base_voices({"en"}))
    if (v.id == id) return v;
  throw InvalidArgument("no base voice " + id);
}

std::string say_to_file(const std::string& voice, const std::string& text, const std::string& path, double silence = 0) {
  Waveform w = resample(speak(flite_voice(voice), text, 3).wave, 16000);
  w.samples.resize(w.samples.size() + static_cast<std::size_t>(silence * 16000), 0.0f);
  write_audio(path, w);
  return path;
}

// One studio, its trust store, a performer (flite slt) with enrollment audio, built once.
struct World {
  std::string dir = test::temp_dir("consent");
  SigningKey studio = generate_signing_key("Harbor Sound (test key)");
  SigningKey witness = generate_signing_key("Dr. Field (test witness)");
  TrustStore trust{dir + "/trust"};
  LoadedEncoder encoder = load_speaker_encoder(std::string(DUBKIT_MODELS_DIR) + "/speaker_encoder.safetensors");
  std::vector<std::string> enrollment;

  World() {
    trust.add_key({studio.name, studio.public_key});
    trust.add_key({witness.name, witness.public_key}, KeyRole::Witness);
    enrollment = {say_to_file("flite-slt", "The boat left the harbor before the sun came up over the hills.", dir + "/enroll1.wav"),
                  say_to_file("flite-slt", "We walked along the river and talked about the summer.", dir + "/enroll2.wav")};
  }

  // A spoken-path record; `reader` voices the statement, `words` replaces its text when given.
  // Each record's recording is its own (a statement recording enrolls under one record only):
  // it ends in a silence of its own length.
  std::string record(const std::string& name, const std::string& reader = "flite-slt", const std::string& words = "",
                     std::function<void(ConsentRecord&)> edit = {}) {
    static int made = 0;
    ++made;
    ConsentRecord r;
    r.id = "consent-test-" + name;
    r.created = "2026-11-30T10:00:00Z";
    r.performer = "Peter Brown";
    r.signatory = r.performer;
    r.studio = "Harbor Sound";
    r.project = "Test dub";
    r.uses = {"dubbing", "lip-sync"};
    r.languages = {"en", "es"};
    r.territory = {"worldwide"};
    r.valid_from = "2026-01-01";
    r.valid_until = "2099-12-31";
    r.revocation = "test-revocations/" + name;
    r.statement = SpokenStatement{"", made % 2 ? "basket dinner hammer monkey" : "finger winter marble pencil",
                                  name + ".statement.wav", ""};
    r.statement->text = consent_statement_text(r);
    const std::string audio =
        say_to_file(reader, words.empty() ? r.statement->text : words, dir + "/" + r.statement->audio, 0.01 * made);
    r.statement->audio_sha256 = sha256_file_hex(audio);
    if (edit) edit(r);
    sign_consent(r, studio);
    const std::string path = dir + "/" + name + ".json";
    write_consent(path, r);
    return path;
  }

  // An attested-path record for voice restoration (named `name`), attested by `witness` and
  // signed by the studio.
  std::string attested(const std::string& name, const SigningKey& witness) {
    ConsentRecord r = read_consent(record(name));
    r.statement.reset();
    r.uses = {"voice-restoration"};
    r.attestation = Attestation{"Dr. Field", "clinician", "2026-11-29", "The patient consented in writing; speech is no longer possible.", "", ""};
    attest_consent(r, witness);
    sign_consent(r, studio);
    write_consent(dir + "/" + name + ".json", r);
    return dir + "/" + name + ".json";
  }

  VoiceProfile enroll(const std::string& record_path) {
    return enroll_consented_voice(record_path, trust, encoder, enrollment, studio, "peter");
  }
};

World& world() {
  static World w;
  return w;
}

std::string refusal(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConsentRefused& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("consent: a valid spoken record enrolls a voice, and each use is re-checked", "[provenance][consent]") {
  World& w = world();
  const std::string path = w.record("valid");
  ConsentVerifyOptions o;
  o.today = "2026-11-30";
  o.encoder = &w.encoder;
  o.enrollment = w.enrollment;
  const ConsentVerification v = verify_consent(read_consent(path), w.dir, w.trust, o);
  INFO(v.failures() << " heard: " << v.heard);
  REQUIRE(v.passed());
  CHECK(v.word_error_rate <= 0.25);
  CHECK(v.speaker_similarity >= v.speaker_threshold);

  const VoiceProfile p = w.enroll(path);
  CHECK(p.key_id == w.studio.public_key.id());
  CHECK(p.enrollment_files == std::vector<std::string>{"enroll1.wav", "enroll2.wav"});
  const std::string profile = w.dir + "/peter.voice";
  write_voice_profile(profile, p);
  const AuthorizedVoice a = authorize_voice(read_voice_profile(profile), w.trust, "dubbing", "es", "2026-11-30");
  CHECK(a.consent().id == "consent-test-valid");

  // Scope at each use: language, use, dates.
  CHECK(refusal([&] { authorize_voice(p, w.trust, "dubbing", "fr", "2026-11-30"); }).find("language 'fr'") != std::string::npos);
  CHECK(refusal([&] { authorize_voice(p, w.trust, "research", "en", "2026-11-30"); }).find("use 'research'") != std::string::npos);
  CHECK(refusal([&] { authorize_voice(p, w.trust, "dubbing", "en", "2100-01-01"); }).find("expired") != std::string::npos);
  // A profile altered after enrollment (another voice's embedding swapped in) no longer verifies.
  VoiceProfile swapped = p;
  std::reverse(swapped.embedding.begin(), swapped.embedding.end());
  REQUIRE(swapped.embedding != p.embedding);
  CHECK(refusal([&] { authorize_voice(swapped, w.trust, "dubbing", "en", "2026-11-30"); }).find("signature") != std::string::npos);
  // Revocation: later uses are refused, and so is a new enrollment.
  const std::string revoked = w.record("revoked");
  const VoiceProfile before = w.enroll(revoked);
  w.trust.revoke("consent-test-revoked", "performer withdrew", w.studio);
  CHECK(refusal([&] { authorize_voice(before, w.trust, "dubbing", "en", "2026-11-30"); }).find("revoked") != std::string::npos);
  CHECK(refusal([&] { w.enroll(revoked); }).find("revocation") != std::string::npos);
  // The revocation survives a reload of the store; one signed by a stranger's key does not count.
  CHECK(TrustStore(w.dir + "/trust").revocation("consent-test-revoked", w.studio.public_key.id()).has_value());
  TrustStore other(w.dir + "/trust");
  other.revoke("consent-test-valid", "forged", generate_signing_key("stranger"));
  CHECK_NOTHROW(authorize_voice(p, TrustStore(w.dir + "/trust"), "dubbing", "en", "2026-11-30"));
}

// Issue 22, item 6: a second revocation file for a record, with an all-zero signature, hid the
// studio's real revocation; a revocation by another key replaced it on disk.
TEST_CASE("issue 22 item 6: a forged revocation is an error and never hides a real one", "[provenance][consent][issue22]") {
  World& w = world();
  const std::string dir = test::temp_dir("revocations");
  TrustStore store(dir);
  store.add_key({w.studio.name, w.studio.public_key});
  store.revoke("consent-test-item6", "performer withdrew", w.studio);
  std::string forged;
  for (const auto& e : fs::directory_iterator(dir + "/revocations")) forged = test::slurp(e.path().string());
  const std::size_t sig = forged.find("\"signature\": \"");
  REQUIRE(sig != std::string::npos);
  forged.replace(sig + 14, 128, std::string(128, '0'));
  std::ofstream(dir + "/revocations/forged.json") << forged;
  CHECK_THROWS_WITH(TrustStore(dir), Catch::Contains("forged.json") && Catch::Contains("never ignored"));
  fs::remove(dir + "/revocations/forged.json");

  TrustStore(dir).revoke("consent-test-item6", "not theirs to revoke", generate_signing_key("stranger"));
  const TrustStore reloaded(dir);
  const auto r = reloaded.revocation("consent-test-item6", w.studio.public_key.id());
  REQUIRE(r.has_value());
  CHECK(r->reason == "performer withdrew");
}

TEST_CASE("consent: enrollment is refused for each failed condition", "[provenance][consent]") {
  World& w = world();
  // No record at all.
  CHECK_THROWS_AS(w.enroll(w.dir + "/none.json"), IoError);
  // The statement read by another speaker.
  const std::string impostor = w.record("impostor", "flite-awb");
  CHECK(refusal([&] { w.enroll(impostor); }).find("speaker: cosine") != std::string::npos);
  // The performer's voice reading other words.
  const std::string wrong_words = w.record("words", "flite-slt", "The weather is nice today and I would like a cup of tea with milk.");
  CHECK(refusal([&] { w.enroll(wrong_words); }).find("statement: word error rate") != std::string::npos);
  // A signature that does not match (the record edited after signing).
  const std::string edited = w.record("edited");
  {
    std::string text = test::slurp(edited);
    text.replace(text.find("\"es\""), 4, "\"fr\"");
    std::ofstream(edited) << text;
  }
  CHECK(refusal([&] { w.enroll(edited); }).find("signature") != std::string::npos);
  // Signed by a key the store does not trust.
  const std::string untrusted = w.record("untrusted");
  {
    ConsentRecord r = read_consent(untrusted);
    sign_consent(r, generate_signing_key("unknown studio"));
    write_consent(untrusted, r);
  }
  CHECK(refusal([&] { w.enroll(untrusted); }).find("not in the trust store") != std::string::npos);
  // Expired, and not yet valid.
  const std::string expired = w.record("expired", "flite-slt", "", [](ConsentRecord& r) {
    r.valid_from = "2020-01-01";
    r.valid_until = "2025-12-31";
  });
  CHECK(refusal([&] { w.enroll(expired); }).find("expired on 2025-12-31") != std::string::npos);
  const std::string early = w.record("early", "flite-slt", "", [](ConsentRecord& r) { r.valid_from = "2090-01-01"; });
  CHECK(refusal([&] { w.enroll(early); }).find("not valid before") != std::string::npos);
  // The recording swapped for another one.
  const std::string swapped = w.record("swapped");
  fs::copy_file(w.enrollment[0], w.dir + "/swapped.statement.wav", fs::copy_options::overwrite_existing);
  CHECK(refusal([&] { w.enroll(swapped); }).find("SHA-256") != std::string::npos);
  // Uses that do not cover a voice.
  const std::string lips = w.record("lips", "flite-slt", "", [](ConsentRecord& r) { r.uses = {"lip-sync"}; });
  CHECK(refusal([&] { w.enroll(lips); }).find("do not cover a voice") != std::string::npos);
  const std::string adapt = w.record("adapt", "flite-slt", "", [](ConsentRecord& r) { r.uses = {"adaptation"}; });
  CHECK(refusal([&] { w.enroll(adapt); }).find("do not cover a voice") != std::string::npos);
}

// "adaptation" lets a performer's recordings fine-tune a model to them; it is no licence to
// clone the voice, so a record needs a voice use besides.
TEST_CASE("consent: the use adaptation is known but covers no voice on its own", "[provenance][consent]") {
  CHECK(std::count(consent_uses().begin(), consent_uses().end(), "adaptation") == 1);
  CHECK_FALSE(use_covers_voice("adaptation"));
  CHECK(use_covers_voice("dubbing"));
  ConsentRecord r;
  r.id = "consent-uses";
  r.created = "2026-11-30T10:00:00Z";
  r.performer = r.signatory = "Peter Brown";
  r.studio = "Harbor Sound";
  r.project = "Test dub";
  r.uses = {"dubbing", "adaptation"};
  r.languages = {"en"};
  r.territory = {"worldwide"};
  r.valid_from = "2026-01-01";
  r.valid_until = "2099-12-31";
  r.revocation = "test-revocations/uses";
  r.statement = SpokenStatement{"", "apple river tiger candle", "uses.statement.wav", std::string(64, 'a')};
  r.statement->text = consent_statement_text(r);
  sign_consent(r, generate_signing_key("Harbor Sound (test key)"));
  CHECK(parse_consent(consent_json(r), "c.json").uses == r.uses);
  // An unknown use is refused, and the message lists every known one (consent_uses()).
  r.uses = {"dubbing", "cloning"};
  try {
    parse_consent(consent_json(r), "c.json");
    FAIL("a record with the use 'cloning' parsed");
  } catch (const FormatError& e) {
    CHECK_THAT(e.what(), Catch::Contains("c.json") && Catch::Contains("\"uses\"") && Catch::Contains("'cloning'") &&
                             Catch::Contains(consent_uses_text()));
  }
  CHECK(consent_uses_text().find("adaptation") != std::string::npos);
  const TrustStore trust(test::temp_dir("consent-uses") + "/trust");
  CHECK_THROWS_WITH(authorize_use(r, trust, "cloning", "2026-11-30"),
                    Catch::Contains("'cloning' is not one of " + consent_uses_text()));
}

// Issue 22, item 1: the performer's recording and another speaker's were averaged into one
// voice, and the average passed the statement's speaker check.
TEST_CASE("issue 22 item 1: every enrollment file must be the statement's speaker", "[provenance][consent][issue22]") {
  World& w = world();
  const std::string path = w.record("mixed");
  const std::string other = say_to_file(
      "flite-awb", "We walked along the river and talked about the summer, then sat by the water until it was dark.",
      w.dir + "/other.wav");
  const std::vector<std::string> mixed{w.enrollment[0], other};
  ConsentVerifyOptions o;
  o.encoder = &w.encoder;
  o.enrollment = mixed;
  const ConsentVerification v = verify_consent(read_consent(path), w.dir, w.trust, o);
  REQUIRE(v.enrollment_similarities.size() == 2);
  CHECK(v.enrollment_similarities[0] >= v.speaker_threshold);
  CHECK(v.enrollment_similarities[1] < v.speaker_threshold);
  CHECK(v.speaker_similarity == v.enrollment_similarities[1]);
  // What the old check compared: the statement against the files' average.
  SpeakerEncoder model = w.encoder.model;
  const VoiceEmbedding said = embed_file(model, w.dir + "/mixed.statement.wav");
  std::vector<float> avg = average_embedding(model, mixed).embedding;
  INFO("statement vs the average: " << embedding_similarity(said.embedding, torch::from_blob(avg.data(), {static_cast<long>(avg.size())}))
                                    << ", threshold " << v.speaker_threshold);
  const std::string why = refusal([&] { enroll_consented_voice(path, w.trust, w.encoder, mixed, w.studio, "mixed"); });
  CHECK(why.find("another speaker in other.wav") != std::string::npos);
  CHECK_NOTHROW(w.enroll(path));
}

// Issue 22, item 2: a statement whose challenge words were missing, or other words, passed on
// its sentence-level word error rate.
TEST_CASE("issue 22 item 2: each challenge word must be heard where the statement puts it", "[provenance][consent][issue22]") {
  World& w = world();
  const std::string text = consent_statement_text(read_consent(w.record("said")));
  const std::string lead = text.substr(0, text.find("are ") + 3);
  for (const std::string& spoken : {lead + ".", lead + " apple, river, yellow, window."}) {
    INFO(spoken);
    const std::string path = w.record("unsaid", "flite-slt", spoken);
    ConsentVerifyOptions o;
    const ConsentVerification v = verify_consent(read_consent(path), w.dir, w.trust, o);
    INFO(v.failures() << " heard: " << v.heard);
    if (spoken == lead + ".") CHECK(v.word_error_rate <= o.max_word_error_rate);  // what used to let it through
    REQUIRE(v.checks.size() == 5);  // signature, validity, revocation, statement, challenge
    CHECK(v.checks[4].name == "challenge");
    CHECK_FALSE(v.checks[4].passed);
    CHECK(refusal([&] { w.enroll(path); }).find("challenge: ") != std::string::npos);
  }
  // Said as the record says, every word is heard and reported with its score.
  const ConsentVerification v = verify_consent(read_consent(w.record("said")), w.dir, w.trust);
  INFO(v.failures());
  CHECK(v.passed());
  REQUIRE(v.challenge_words.size() == 4);
  for (const SpottedWord& s : v.challenge_words) CHECK(s.score >= ConsentVerifyOptions().min_challenge_score);
  // The sample's recorded statement (heard at a word error rate of 0.241) passes, each word with
  // a margin of at least 1 nat per frame over every other challenge word.
  TrustStore demo(test::temp_dir("demo-trust"));
  demo.add_key(read_public_key(std::string(DUBKIT_SAMPLES_DIR) + "/consent/demo-studio.key.pub"));
  const ConsentVerification sample = verify_consent(read_consent(std::string(DUBKIT_SAMPLES_DIR) + "/consent/sample-consent.json"),
                                                    std::string(DUBKIT_SAMPLES_DIR) + "/consent", demo);
  INFO(sample.failures());
  CHECK(sample.passed());
  REQUIRE(sample.challenge_words.size() == 4);
  for (const SpottedWord& s : sample.challenge_words) {
    INFO(s.word << " " << s.score << " margin " << s.margin);
    CHECK(s.margin >= 1.0);
    CHECK(s.score >= ConsentVerifyOptions().min_challenge_score + 1.0);
  }
}

// Issue 22, item 3: a record's statement recording attached to a new record (wider uses, same
// words) was accepted again.
TEST_CASE("issue 22 item 3: a statement recording enrolls under one record only", "[provenance][consent][issue22]") {
  World& w = world();
  const std::string first = w.record("first");
  w.enroll(first);
  CHECK(w.trust.statement_use(read_consent(first).statement->audio_sha256) == "consent-test-first");
  ConsentRecord r = read_consent(first);
  r.id = "consent-test-second";
  r.uses = {"dubbing", "lip-sync", "research"};
  sign_consent(r, w.studio);
  write_consent(w.dir + "/second.json", r);
  CHECK(refusal([&] { w.enroll(w.dir + "/second.json"); }).find("already enrolled a voice under consent consent-test-first") !=
        std::string::npos);
  // The store remembers it across loads; the first record still enrolls again.
  TrustStore reloaded(w.dir + "/trust");
  CHECK(reloaded.statement_use(r.statement->audio_sha256) == "consent-test-first");
  CHECK_NOTHROW(w.enroll(first));
}

// Issue 22, item 4: every key init-key made was trusted for everything, so a studio could make
// itself a "witness" and attest any voice.
TEST_CASE("issue 22 item 4: studio and witness keys are trusted separately", "[provenance][consent][issue22]") {
  World& w = world();
  const SigningKey own = generate_signing_key("Harbor Sound's second key");
  w.trust.add_key({own.name, own.public_key});  // what init-key does: a studio key
  const std::string self_attested = w.attested("self-attested", own);
  CHECK(refusal([&] { w.enroll(self_attested); }).find("trusted as a studio key, not as a witness") != std::string::npos);
  // Trusted as a witness explicitly, the same key attests; verify names both roles.
  w.trust.add_key({own.name, own.public_key}, KeyRole::Witness);
  const ConsentVerification v = verify_consent(read_consent(self_attested), w.dir, w.trust);
  INFO(v.failures());
  CHECK(v.passed());
  CHECK(v.checks[0].detail.find("trusted as a studio key") != std::string::npos);
  CHECK(v.checks[3].detail.find("trusted as a witness") != std::string::npos);
  // A witness key signs no records.
  TrustStore witnesses_only(test::temp_dir("witness-only"));
  witnesses_only.add_key({w.studio.name, w.studio.public_key}, KeyRole::Witness);
  const ConsentVerification unsigned_ = verify_consent(read_consent(w.record("witness-signed")), w.dir, witnesses_only);
  CHECK(unsigned_.checks[0].detail.find("trusts only as a witness") != std::string::npos);
  CHECK(parse_key_role("witness") == KeyRole::Witness);
  CHECK_THROWS_AS(parse_key_role("admin"), InvalidArgument);
}

// Issue 22, item 5: `voice enroll --date` in the past made a signed profile from an expired record.
TEST_CASE("issue 22 item 5: a voice is enrolled only under consent valid today", "[provenance][consent][issue22]") {
  World& w = world();
  const std::string expired = w.record("expired-now", "flite-slt", "", [](ConsentRecord& r) {
    r.valid_from = "2020-01-01";
    r.valid_until = "2021-12-31";
  });
  ConsentVerifyOptions o;
  o.today = "2021-06-01";
  const ConsentVerification then = verify_consent(read_consent(expired), w.dir, w.trust, o);
  INFO(then.failures());
  CHECK(then.passed());  // inspecting that day is fine
  CHECK_THROWS_WITH(enroll_consented_voice(expired, w.trust, w.encoder, w.enrollment, w.studio, "peter", o),
                    Catch::Contains("only for inspecting"));
  CHECK(refusal([&] { w.enroll(expired); }).find("expired on 2021-12-31") != std::string::npos);
}

TEST_CASE("consent: the attested path needs an independent trusted witness", "[provenance][consent]") {
  World& w = world();
  auto attested = [&](const SigningKey& witness) { return w.attested("attested", witness); };
  const VoiceProfile p = w.enroll(attested(w.witness));
  CHECK(std::isnan(p.statement_similarity));
  CHECK(authorize_voice(p, w.trust, "voice-restoration", "en", "2026-11-30").consent().attested());
  CHECK(refusal([&] { w.enroll(attested(w.studio)); }).find("independent witness") != std::string::npos);
  CHECK(refusal([&] { w.enroll(attested(generate_signing_key("stranger"))); }).find("witness key") != std::string::npos);
}

TEST_CASE("consent records: malformed, hostile and unknown input is refused naming the field", "[provenance][consent][bad-input]") {
  World& w = world();
  const std::string good = test::slurp(w.record("parse"));
  auto error_of = [](const std::string& json) {
    try {
      parse_consent(json, "c.json");
    } catch (const FormatError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    const std::size_t at = s.find(from);
    REQUIRE(at != std::string::npos);
    return s.replace(at, from.size(), to);
  };
  CHECK(error_of(good).empty());
  CHECK(error_of("{").find("not a JSON object") != std::string::npos);
  CHECK(error_of("[]").find("not a JSON object") != std::string::npos);
  CHECK(error_of(replaced("\"version\": 1", "\"version\": 2")).find("version") != std::string::npos);
  CHECK(error_of(replaced("dubkit-consent", "other")).find("format") != std::string::npos);
  CHECK(error_of(replaced("parse.statement.wav", "../../etc/passwd")).find("'..'") != std::string::npos);
  CHECK(error_of(replaced("parse.statement.wav", "/etc/passwd")).find("absolute") != std::string::npos);
  CHECK(error_of(replaced("parse.statement.wav", "a\\\\b.wav")).find("backslash") != std::string::npos);
  CHECK(error_of(replaced("\"Peter Brown\"", "\"" + std::string(5000, 'x') + "\"")).find("longer than") != std::string::npos);
  CHECK(error_of(replaced("\"worldwide\"", "\"Worldwide\"")).find("territory") != std::string::npos);
  CHECK(error_of(replaced("\"lip-sync\"", "\"face-swap\"")).find("face-swap") != std::string::npos);
  CHECK(error_of(replaced("2099-12-31", "2099-02-30")).find("valid_until") != std::string::npos);
  CHECK(error_of(replaced("\"es\"", "\"Spanish\"")).find("ISO 639") != std::string::npos);
  CHECK(error_of(replaced("\"path\": \"spoken\"", "\"path\": \"typed\"")).find("path") != std::string::npos);
  std::string many = "[";
  for (int i = 0; i < 1000; ++i) many += std::string(i ? "," : "") + "\"en\"";
  CHECK(error_of(replaced("[\n    \"en\",\n    \"es\"\n  ]", many + "]")).find("more than 64") != std::string::npos);
  CHECK(error_of(std::string(2u << 20, ' ')).find("larger than 1 MiB") != std::string::npos);
}
