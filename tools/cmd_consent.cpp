// dubkit consent init-key | trust | statement | create | verify | revoke
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "provenance/consent_check.hpp"
#include "tools/commands.hpp"
#include "voice/speaker_encoder.hpp"

namespace dubkit::cli {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const std::size_t end = std::min(s.find(',', start), s.size());
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

nlohmann::ordered_json checks_json(const ConsentVerification& v) {
  nlohmann::ordered_json checks = nlohmann::ordered_json::array();
  for (const ConsentCheck& c : v.checks) checks.push_back({{"check", c.name}, {"passed", c.passed}, {"detail", c.detail}});
  return checks;
}

void register_init_key(CLI::App* consent) {
  struct Opts {
    std::string name, out, trust = TrustStore::default_dir();
    bool no_trust = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = consent->add_subcommand("init-key",
                                      "Make a signing key (a studio's or a witness's); a studio key is trusted here as a "
                                      "studio key, never as a witness");
  cmd->add_option("--name", o->name, "Who holds the key, e.g. \"Demo Studio\"")->required();
  cmd->add_option("-o,--output", o->out, "Secret key file (mode 0600); the public key goes to OUT.pub")->required();
  cmd->add_option("--trust", o->trust, "Trust store the public key is added to, as a studio key")->capture_default_str();
  cmd->add_flag("--no-trust", o->no_trust,
                "Do not add the public key to the trust store (a witness's key, or a key for another machine)");
  cmd->footer("Example: dubkit consent init-key --name \"Demo Studio\" -o studio.key");
  cmd->callback([o] {
    if (fs::exists(o->out)) throw InvalidArgument("init-key: " + o->out + " exists; a key is never overwritten");
    check_output_path(o->out);
    const SigningKey key = generate_signing_key(o->name);
    write_signing_key(o->out, key);
    write_public_key(o->out + ".pub", {key.name, key.public_key});
    if (!o->no_trust) TrustStore(o->trust).add_key({key.name, key.public_key});
    std::printf("%s: key %s for %s (public key %s.pub)%s\n", o->out.c_str(), key.public_key.id().c_str(), key.name.c_str(),
                o->out.c_str(), o->no_trust ? "" : (", trusted in " + o->trust).c_str());
  });
}

void register_trust(CLI::App* consent) {
  struct Opts {
    std::string pub, role = "studio", trust = TrustStore::default_dir();
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = consent->add_subcommand("trust", "Add a public key (a studio's or a witness's) to the trust store");
  cmd->add_option("key", o->pub, "Public key file (.pub)")->required();
  cmd->add_option("--role", o->role,
                  "studio: signs consent records, voice profiles, revocations and outputs; witness: attests consent "
                  "records without a recording, and nothing else")
      ->check(CLI::IsMember({"studio", "witness"}))
      ->capture_default_str();
  cmd->add_option("--trust", o->trust, "Trust store")->capture_default_str();
  cmd->footer("Example: dubkit consent trust clinic-witness.key.pub --role witness");
  cmd->callback([o] {
    const NamedPublicKey k = read_public_key(o->pub);
    TrustStore(o->trust).add_key(k, parse_key_role(o->role));
    std::printf("trusted %s (%s) as a %s key in %s\n", k.name.c_str(), k.key.id().c_str(), o->role.c_str(), o->trust.c_str());
  });
}

void register_statement(CLI::App* consent) {
  struct Opts {
    std::string performer, studio;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = consent->add_subcommand("statement", "Draw a challenge and print the statement the performer reads aloud");
  cmd->add_option("--performer", o->performer, "Performer's name as they say it")->required();
  cmd->add_option("--studio", o->studio, "Studio's name")->required();
  cmd->add_flag("--json", o->json, "Print challenge and text as JSON");
  cmd->footer("Example: dubkit consent statement --performer \"Ada Example\" --studio \"Demo Studio\"");
  cmd->callback([o] {
    ConsentRecord r;
    r.performer = o->performer;
    r.studio = o->studio;
    r.statement = SpokenStatement{"", random_challenge(), "", ""};
    const std::string text = consent_statement_text(r);
    if (o->json) return print_json({{"challenge", r.statement->challenge}, {"text", text}});
    std::printf("Record the performer reading:\n\n  %s\n\nthen: dubkit consent create ... --challenge \"%s\" --statement-audio REC.wav\n",
                text.c_str(), r.statement->challenge.c_str());
  });
}

void register_create(CLI::App* consent) {
  struct Opts {
    ConsentRecord r;
    std::string uses, languages, territory = "worldwide", key, out, audio, challenge, witness_key, representative;
    std::string witness, witness_role = "clinician", attestation_text;
  };
  auto o = std::make_shared<Opts>();
  o->r.valid_from = today_utc();
  auto* cmd = consent->add_subcommand("create", "Write a consent record signed by the studio key");
  cmd->add_option("--performer", o->r.performer, "Performer's name")->required();
  cmd->add_option("--signatory", o->r.signatory, "Who signs, when not the performer (estate, guardian)");
  cmd->add_option("--signatory-role", o->r.signatory_role, "performer, estate or guardian")->capture_default_str();
  cmd->add_option("--represented-by", o->representative, "The performer's agent or union, when represented");
  cmd->add_option("--studio", o->r.studio, "Studio's name")->required();
  cmd->add_option("--project", o->r.project, "Project")->required();
  cmd->add_option("--uses", o->uses, "Permitted uses, comma-separated: " + consent_uses_text())->required();
  cmd->add_option("--languages", o->languages, "Permitted languages, comma-separated ISO 639 codes: en,es,de")->required();
  cmd->add_option("--territory", o->territory, "Territories: worldwide, or ISO 3166 codes (DE,FR,EU)")->capture_default_str();
  cmd->add_option("--valid-from", o->r.valid_from, "First valid day, YYYY-MM-DD")->capture_default_str();
  cmd->add_option("--valid-until", o->r.valid_until, "Last valid day, YYYY-MM-DD")->required();
  cmd->add_option("--revocation", o->r.revocation, "Where revocations are published (URL) or a revocation id")->required();
  cmd->add_option("--challenge", o->challenge, "The challenge words the performer read (from dubkit consent statement)");
  cmd->add_option("--statement-audio", o->audio, "Recording of the performer reading the statement (copied beside the record)");
  cmd->add_option("--witness", o->witness, "Attested path: the witness (clinician, ...) attesting for a performer who cannot speak");
  cmd->add_option("--witness-role", o->witness_role, "The witness's role")->capture_default_str();
  cmd->add_option("--attestation", o->attestation_text, "The witness's attestation text");
  cmd->add_option("--witness-key", o->witness_key, "The witness's signing key (dubkit consent init-key)");
  cmd->add_option("--key", o->key, "Studio signing key")->required();
  cmd->add_option("-o,--output", o->out, "Consent record (.json)")->required();
  cmd->footer("Example: dubkit consent create --performer \"Ada Example\" --studio \"Demo Studio\" --project Trailer \\\n"
              "           --uses dubbing,lip-sync --languages en,es --valid-until 2027-12-31 --revocation demo-0001 \\\n"
              "           --challenge \"apple river tiger candle\" --statement-audio statement.wav --key studio.key -o consent.json");
  cmd->callback([o] {
    ConsentRecord& r = o->r;
    const bool spoken = !o->audio.empty(), attested = !o->witness.empty();
    if (spoken == attested)
      throw InvalidArgument("consent create: give either --statement-audio (spoken) or --witness (attested), not both or neither");
    check_output_path(o->out);
    const SigningKey studio = read_signing_key(o->key);
    r.id = "consent-" + random_hex(16);
    r.created = now_utc();
    if (r.signatory.empty()) r.signatory = r.performer;
    r.represented = !o->representative.empty();
    r.representative = o->representative;
    r.uses = split_list(o->uses);
    r.languages = split_list(o->languages);
    r.territory = split_list(o->territory);
    std::string copied;
    if (spoken) {
      if (o->challenge.empty()) throw InvalidArgument("consent create: --statement-audio needs the --challenge the performer read");
      const std::string name = fs::path(o->out).stem().string() + ".statement" + fs::path(o->audio).extension().string();
      copied = (fs::path(o->out).parent_path() / name).string();
      r.statement = SpokenStatement{"", o->challenge, name, sha256_file_hex(o->audio)};
      r.statement->text = consent_statement_text(r);
    } else {
      if (o->witness_key.empty() || o->attestation_text.empty())
        throw InvalidArgument("consent create: the attested path needs --witness-key and --attestation");
      r.attestation = Attestation{o->witness, o->witness_role, today_utc(), o->attestation_text, "", ""};
      attest_consent(r, read_signing_key(o->witness_key));
    }
    // Validates every field as a reader will, before anything is signed or written.
    sign_consent(r, studio);
    parse_consent(consent_json(r), o->out);
    if (spoken && fs::absolute(copied) != fs::absolute(o->audio)) fs::copy_file(o->audio, copied, fs::copy_options::overwrite_existing);
    write_consent(o->out, r);
    std::printf("%s: %s, %s consent of %s to %s, signed by %s\n", o->out.c_str(), r.id.c_str(), spoken ? "spoken" : "attested",
                r.performer.c_str(), r.studio.c_str(), studio.public_key.id().c_str());
  });
}

void register_consent_verify(CLI::App* consent) {
  struct Opts {
    std::string record, trust = TrustStore::default_dir(), encoder;
    std::vector<std::string> audio;
    ConsentVerifyOptions v;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = consent->add_subcommand("verify", "Check a consent record: signature, dates, revocation, spoken statement, challenge words, speaker");
  cmd->add_option("record", o->record, "Consent record (.json)")->required();
  cmd->add_option("--audio", o->audio, "Enrollment audio: also check the statement's speaker is this voice");
  cmd->add_option("--trust", o->trust, "Trust store")->capture_default_str();
  cmd->add_option("--date", o->v.today, "Check validity on this day instead of today (YYYY-MM-DD)");
  cmd->add_option("--max-wer", o->v.max_word_error_rate, "Highest word error rate of the spoken statement")->capture_default_str();
  cmd->add_option("--min-challenge-score", o->v.min_challenge_score,
                  "Lowest keyword score at which a challenge word counts as heard (log-likelihood ratio per frame)")
      ->capture_default_str();
  cmd->add_option("--encoder", o->encoder, std::string("Speaker encoder (default: models/") + kDefaultEncoder + ")");
  cmd->add_flag("--json", o->json, "Print every check as JSON");
  cmd->footer("Exit status 0 when every check passes, 1 otherwise.\nExample: dubkit consent verify consent.json --audio a.wav");
  cmd->callback([o] {
    if (!o->v.today.empty() && !is_date(o->v.today)) throw InvalidArgument("--date '" + o->v.today + "' is not YYYY-MM-DD");
    const ConsentRecord r = read_consent(o->record);
    std::optional<LoadedEncoder> enc;
    if (!o->audio.empty()) {
      enc = load_speaker_encoder(model_path(o->encoder, kDefaultEncoder, "--encoder"));
      o->v.encoder = &*enc;
      o->v.enrollment = o->audio;
    }
    const ConsentVerification v = verify_consent(r, fs::path(o->record).parent_path().string(), TrustStore(o->trust), o->v);
    if (o->json) {
      nlohmann::ordered_json words = nlohmann::ordered_json::array();
      for (const SpottedWord& w : v.challenge_words)
        words.push_back({{"word", w.word}, {"found", w.found}, {"score", w.found ? nlohmann::ordered_json(w.score) : nlohmann::ordered_json()},
                         {"start", w.found ? nlohmann::ordered_json(w.start) : nlohmann::ordered_json()}});
      print_json({{"record", o->record}, {"id", r.id}, {"path", r.attested() ? "attested" : "spoken"}, {"verified", v.passed()},
                  {"checks", checks_json(v)}, {"challenge_words", words}, {"enrollment_similarities", v.enrollment_similarities}});
    } else {
      for (const ConsentCheck& c : v.checks) std::printf("%-11s %s  %s\n", c.name.c_str(), c.passed ? "ok  " : "FAIL", c.detail.c_str());
      std::printf("%s: %s\n", r.id.c_str(), v.passed() ? "verified" : "NOT verified");
    }
    if (!v.passed()) throw ConsentRefused(o->record + ": " + v.failures());
  });
}

void register_revoke(CLI::App* consent) {
  struct Opts {
    std::string record, key, reason, trust = TrustStore::default_dir();
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = consent->add_subcommand("revoke", "Revoke a consent record (signed by the studio key that signed it)");
  cmd->add_option("record", o->record, "Consent record (.json)")->required();
  cmd->add_option("--key", o->key, "The studio key that signed the record")->required();
  cmd->add_option("--reason", o->reason, "Why (recorded in the revocation)");
  cmd->add_option("--trust", o->trust, "Trust store the revocation is written to")->capture_default_str();
  cmd->callback([o] {
    const ConsentRecord r = read_consent(o->record);
    const SigningKey key = read_signing_key(o->key);
    if (key.public_key.id() != r.key_id)
      throw InvalidArgument("revoke: " + o->record + " was signed by key " + r.key_id + ", not by " + key.public_key.id());
    const Revocation rev = TrustStore(o->trust).revoke(r.id, o->reason, key);
    std::printf("%s revoked on %s in %s\n", r.id.c_str(), rev.revoked.c_str(), o->trust.c_str());
  });
}

}  // namespace

void register_consent(CLI::App& app) {
  auto* consent = app.add_subcommand("consent", "Consent records: keys, the spoken statement, create, verify, revoke");
  consent->require_subcommand(1);
  register_init_key(consent);
  register_trust(consent);
  register_statement(consent);
  register_create(consent);
  register_consent_verify(consent);
  register_revoke(consent);
}

}  // namespace dubkit::cli
