// dubkit voice embed | compare | eval | enroll | adapt | adapt-eval
#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/progress.hpp"
#include "jobs/voice_adapt_job.hpp"
#include "provenance/consent_check.hpp"
#include "corpus/manifest.hpp"
#include "tools/commands.hpp"
#include "train/adaptation_eval.hpp"
#include "train/speaker_eval.hpp"
#include "voice/voice_embedding.hpp"

namespace dubkit::cli {

namespace {

std::string encoder_path(const std::string& given) { return model_path(given, kDefaultEncoder, "--encoder"); }

struct Common {
  std::string encoder;
  EmbedOptions embed;
  bool json = false;
};

void add_common(CLI::App* cmd, Common& c) {
  cmd->add_option("--encoder", c.encoder,
                  std::string("Encoder: safetensors or a torch.save checkpoint with SV2TTS keys (default: models/") +
                      kDefaultEncoder + ")");
  cmd->add_option("--min-speech", c.embed.min_speech_seconds, "Seconds of speech (after VAD) a file must hold")
      ->capture_default_str();
  cmd->add_flag("--json", c.json, "Print the result as JSON");
}

nlohmann::ordered_json describe(const std::string& file, const VoiceEmbedding& e) {
  return {{"file", file},
          {"seconds", e.seconds},
          {"speech_seconds", e.speech_seconds},
          {"partials", e.partials},
          {"clipped_fraction", e.clipped_fraction}};
}

void warn_clipping(const std::string& file, const VoiceEmbedding& e) {
  if (e.clipped_fraction > 0.001)
    std::fprintf(stderr, "dubkit: warning: %s: %.2f%% of samples are clipped; the embedding may be less reliable\n",
                 file.c_str(), 100 * e.clipped_fraction);
}

void register_enroll(CLI::App* voice) {
  struct EnrollOpts : Common {
    std::vector<std::string> audio;
    std::string consent, name, out, key = default_key_path(), trust = TrustStore::default_dir();
  };
  auto o = std::make_shared<EnrollOpts>();
  auto* cmd = voice->add_subcommand("enroll", "Make a voice profile (.voice) from recordings of a consenting speaker");
  cmd->add_option("--audio", o->audio, "Recordings of the speaker (any rate/length; speech is VAD-trimmed)")->required();
  cmd->add_option("--consent", o->consent,
                  "Signed consent record covering this voice (dubkit consent create); it must verify: signature, "
                  "dates, revocation, the spoken statement's words and its speaker against --audio")
      ->required();
  cmd->add_option("--key", o->key, "Studio key that signs the profile ($DUBKIT_KEY)")->capture_default_str();
  cmd->add_option("--trust", o->trust, "Trust store ($DUBKIT_TRUST_DIR)")->capture_default_str();
  cmd->add_option("--name", o->name, "Profile name (default: the output file's stem)");
  cmd->add_option("-o,--output", o->out, "Output profile (.voice)")->required();
  add_common(cmd, *o);
  cmd->footer("Example: dubkit voice enroll --audio a.wav b.wav --consent consent.json --key studio.key -o actor.voice");
  cmd->callback([o] {
    if (std::filesystem::path(o->out).extension() != ".voice")
      throw InvalidArgument("voice enroll: output '" + o->out + "' must end in .voice");
    check_output_path(o->out, o->audio);
    const SigningKey key = read_signing_key(o->key);
    const std::string enc_path = encoder_path(o->encoder);
    const LoadedEncoder enc = load_speaker_encoder(enc_path);
    const std::string name = o->name.empty() ? std::filesystem::path(o->out).stem().string() : o->name;
    TrustStore trust(o->trust);
    const VoiceProfile p = enroll_consented_voice(o->consent, trust, enc, o->audio, key, name);
    write_voice_profile(o->out, p);
    const ConsentRecord r = parse_consent(p.consent, o->consent);
    if (o->json) {
      print_json({{"profile", o->out}, {"name", p.name}, {"files", p.enrollment_files}, {"speech_seconds", p.speech_seconds},
                  {"consent", r.id}, {"consent_path", r.attested() ? "attested" : "spoken"},
                  {"statement_similarity", std::isnan(p.statement_similarity) ? nlohmann::ordered_json() : nlohmann::ordered_json(p.statement_similarity)},
                  {"signed_by", p.key_id}});
      return;
    }
    std::printf("%s: voice '%s' from %zu file(s), %.1f s of speech, under consent %s (%s), signed by %s\n", o->out.c_str(),
                p.name.c_str(), p.enrollment_files.size(), p.speech_seconds, r.id.c_str(), r.attested() ? "attested" : "spoken",
                p.key_id.c_str());
  });
}


void register_adapt(CLI::App* voice) {
  struct AdaptOpts {
    VoiceAdaptJobOptions job;
    bool json = false;
  };
  auto o = std::make_shared<AdaptOpts>();
  o->job.key = default_key_path();
  o->job.trust_dir = TrustStore::default_dir();
  VoiceAdaptJobOptions& j = o->job;
  auto* cmd = voice->add_subcommand(
      "adapt", "Fine-tune a voice's speaker adapter on the performer's own recordings and their transcripts");
  cmd->add_option("--profile", j.profile, "The voice to adapt (.voice, from voice enroll)")->required();
  cmd->add_option("--audio", j.audio, "Recordings (files or folders of .wav/.flac/.ogg/.mp3), 30 s or more in all")
      ->required();
  cmd->add_option("--text", j.script, "Subtitles (SRT or WebVTT) timed to the one recording: each cue is a transcript");
  cmd->add_option("--transcripts", j.transcripts, "Folder of NAME.txt transcripts (default: NAME.txt beside each recording)");
  cmd->add_option("--consent", j.consent,
                  "Signed consent record of the performer whose uses include 'adaptation'; it must verify against "
                  "the recordings as at enrollment")
      ->required();
  cmd->add_option("--lang", j.adapt.lang, "Language of the transcripts")->capture_default_str();
  cmd->add_option("-o,--output", j.output, "Adapted profile (.voice)")->required();
  cmd->add_option("--synthesizer", j.adapt.synthesizer,
                  std::string("The synthesizer to adapt to (default: models/") + kDefaultSynthesizer + ")");
  cmd->add_option("--aligner", j.adapt.aligner, std::string("Aligner (default: models/") + kDefaultAligner + ")");
  cmd->add_option("--encoder", j.encoder, std::string("Speaker encoder (default: models/") + kDefaultEncoder + ")");
  cmd->add_option("--key", j.key, "Studio key that signs the profile ($DUBKIT_KEY)")->capture_default_str();
  cmd->add_option("--trust", j.trust_dir, "Trust store ($DUBKIT_TRUST_DIR)")->capture_default_str();
  cmd->add_option("--steps", j.adapt.steps, "Optimisation steps")->capture_default_str();
  cmd->add_option("--batch", j.adapt.batch, "Clips per step")->capture_default_str();
  cmd->add_option("--lr", j.adapt.lr, "Peak learning rate")->capture_default_str();
  cmd->add_option("--max-minutes", j.adapt.max_wall_seconds, "Stop learning after this long (minutes)")
      ->transform([](std::string v) { return std::to_string(std::stod(v) * 60); });
  cmd->add_option("--max-alignment-ratio", j.adapt.max_alignment_ratio,
                  "Leave out clips whose alignment costs more than this times the median clip's (their transcript is "
                  "of other words); more than half left out refuses the run")
      ->capture_default_str();
  cmd->add_option("--max-alignment-cost", j.adapt.max_alignment_cost, "... or more than this (nats per frame)")
      ->capture_default_str();
  cmd->add_option("--work", j.adapt.work_dir, "Checkpoints, for a resume (default: OUTPUT.work; removed when done)");
  cmd->add_option("--threads", j.adapt.threads, "CPU threads")->capture_default_str();
  cmd->add_flag("--json", o->json, "Print the report as JSON");
  cmd->footer("Example: dubkit voice adapt --profile actor.voice --audio takes/ --consent consent.json -o actor.adapted.voice\n"
              "         dubkit voice adapt --profile actor.voice --audio episode1.wav --text episode1.srt --consent consent.json \\\n"
              "                -o actor.adapted.voice   (each subtitle cue is the transcript of its time span)");
  cmd->callback([o] {
    VoiceAdaptJobOptions job = o->job;
    job.adapt.synthesizer = model_path(job.adapt.synthesizer, kDefaultSynthesizer, "--synthesizer");
    job.adapt.aligner = model_path(job.adapt.aligner, kDefaultAligner, "--aligner");
    job.encoder = model_path(job.encoder, kDefaultEncoder, "--encoder");
    check_output_path(job.output, job.audio);
    Progress progress("voice adapt", job.adapt.steps, !o->json);
    const VoiceAdaptJobReport r = voice_adapt_job(job, [&](long step, long, double) { progress.update(step); });
    progress.done();
    const VoiceAdaptReport& a = r.adaptation;
    if (o->json) {
      nlohmann::ordered_json clips = nlohmann::ordered_json::array();
      for (const AdaptationClipReport& c : a.clips)
        clips.push_back({{"clip", c.name}, {"seconds", c.seconds}, {"phones", c.phones}, {"alignment_cost", c.alignment_cost},
                         {"refused", c.refused}});
      print_json({{"profile", job.output}, {"synthesizer", r.profile.adaptation->synthesizer},
                  {"synthesizer_sha256", r.profile.adaptation->synthesizer_sha256}, {"seconds", a.seconds},
                  {"parameters", a.parameters}, {"steps", a.steps}, {"stopped_early", a.stopped_early},
                  {"loss_before", a.loss_before}, {"loss_after", a.loss_after}, {"wall_seconds", a.wall_seconds},
                  {"similarities", r.similarities}, {"threshold", r.threshold}, {"clips", clips}});
      return;
    }
    for (const AdaptationClipReport& c : a.clips)
      if (!c.refused.empty()) std::fprintf(stderr, "dubkit: warning: %s left out: %s\n", c.name.c_str(), c.refused.c_str());
    const long used = std::count_if(a.clips.begin(), a.clips.end(), [](const AdaptationClipReport& c) { return c.refused.empty(); });
    std::printf("%s: voice '%s' adapted to %s on %ld clip(s), %.1f s of speech: %ld values, %ld steps%s, loss %.3f -> %.3f, "
                "%.0f s\n",
                job.output.c_str(), r.profile.name.c_str(), r.profile.adaptation->synthesizer.c_str(), used, a.seconds,
                a.parameters, a.steps, a.stopped_early ? " (stopped at --max-minutes)" : "", a.loss_before, a.loss_after,
                a.wall_seconds);
  });
}


void register_adapt_eval(CLI::App* voice) {
  auto o = std::make_shared<AdaptEvalOptions>();
  auto* cmd = voice->add_subcommand(
      "adapt-eval", "Measure voice adapt against zero-shot on a corpus speaker the synthesizer never heard (nothing is kept)");
  cmd->add_option("--corpus", o->corpus_dir, "Corpus directory (dubkit corpus real or build)")->required();
  cmd->add_option("--speaker", o->speaker, "Speaker id in the corpus")->required();
  cmd->add_option("--lang", o->lang, "Language of the recordings to use")->capture_default_str();
  cmd->add_option("--minutes", o->minutes, "Conditions: minutes of recordings to adapt on (0 = zero-shot)")
      ->capture_default_str();
  cmd->add_option("--test", o->test_utterances, "Test sentences (held out from every condition)")->capture_default_str();
  cmd->add_option("--min-test-seconds", o->min_test_seconds, "Shortest recording taken as a test sentence")
      ->capture_default_str();
  cmd->add_option("--synthesizer", o->synthesizer, std::string("Synthesizer (default: models/") + kDefaultSynthesizer + ")");
  cmd->add_option("--aligner", o->aligner, std::string("Aligner (default: models/") + kDefaultAligner + ")");
  cmd->add_option("--encoder", o->encoder, std::string("Speaker encoder (default: models/") + kDefaultEncoder + ")");
  cmd->add_option("--vocoder", o->vocoder, std::string("Vocoder file or griffinlim (default: models/") + kDefaultVocoder + ")");
  cmd->add_option("--steps", o->adapt.steps, "Adaptation steps per condition")->capture_default_str();
  cmd->add_option("--batch", o->adapt.batch, "Clips per step")->capture_default_str();
  cmd->add_option("--lr", o->adapt.lr, "Peak learning rate")->capture_default_str();
  cmd->add_option("--freeze", o->adapt.frozen,
                  "Adapter tensors kept as they start: embedding, decoder_scale, decoder_shift, mel_scale, mel_shift, "
                  "duration_shift")
      ->delimiter(',');
  cmd->add_option("--threads", o->adapt.threads, "CPU threads")->capture_default_str();
  cmd->add_option("--work", o->work_dir, "Checkpoint folder (emptied after each condition)")->required();
  cmd->add_option("--seed", o->seed, "Seed: which recordings are test sentences")->capture_default_str();
  cmd->add_flag("!--no-wer", o->recognise, "Skip word error rates (needed for languages other than English)");
  cmd->footer("Example: dubkit voice adapt-eval --corpus real --speaker asterisk-allison --minutes 0 1 5 --work /tmp/adapt");
  cmd->callback([o] {
    AdaptEvalOptions e = *o;
    e.synthesizer = model_path(e.synthesizer, kDefaultSynthesizer, "--synthesizer");
    e.aligner = model_path(e.aligner, kDefaultAligner, "--aligner");
    e.encoder = model_path(e.encoder, kDefaultEncoder, "--encoder");
    if (e.vocoder != "griffinlim") e.vocoder = model_path(e.vocoder, kDefaultVocoder, "--vocoder");
    print_json(evaluate_adaptation(e, [](const std::string& s) { std::fprintf(stderr, "voice adapt-eval: %s\n", s.c_str()); }));
  });
}

}  // namespace

void register_voice(CLI::App& app) {
  auto* voice = app.add_subcommand("voice", "Speaker embeddings and verification");
  voice->require_subcommand(1);
  voice->footer("Example: dubkit voice compare a.wav b.wav");

  struct EmbedOpts : Common {
    std::vector<std::string> files;
  };
  auto eo = std::make_shared<EmbedOpts>();
  auto* embed = voice->add_subcommand("embed", "Print the speaker embedding of each file (VAD-trimmed, any rate/length)");
  embed->add_option("FILE", eo->files, "Audio files (mixed to mono, resampled to 16 kHz, read in pieces)")->required();
  add_common(embed, *eo);
  embed->footer("Example: dubkit voice embed samples/sample.wav --json\n"
                "         dubkit voice embed samples/sample.wav --encoder tests/fixtures/reference/rtvc_encoder.pt");
  embed->callback([eo] {
    LoadedEncoder enc = load_speaker_encoder(encoder_path(eo->encoder));
    nlohmann::ordered_json j = nlohmann::ordered_json::array();
    for (const std::string& f : eo->files) {
      const VoiceEmbedding e = embed_file(enc.model, f, eo->embed);
      warn_clipping(f, e);
      const torch::Tensor t = e.embedding.contiguous();
      const std::vector<float> v(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
      if (eo->json) {
        auto row = describe(f, e);
        row["embedding"] = v;
        j.push_back(row);
        continue;
      }
      std::printf("%s", f.c_str());
      for (float x : v) std::printf(" %.6f", x);
      std::printf("\n");
    }
    if (eo->json) print_json(j);
  });

  struct CompareOpts : Common {
    std::string a, b;
    double threshold = std::nan("");
  };
  auto co = std::make_shared<CompareOpts>();
  auto* compare = voice->add_subcommand("compare", "Cosine similarity of two recordings' voices and a same/different verdict");
  compare->add_option("A", co->a, "First recording")->required();
  compare->add_option("B", co->b, "Second recording")->required();
  add_common(compare, *co);
  compare->add_option("--threshold", co->threshold, "Decision threshold (default: the one calibrated in the encoder file)");
  compare->footer("Example: dubkit voice compare samples/sample.wav other.wav --json");
  compare->callback([co] {
    LoadedEncoder enc = load_speaker_encoder(encoder_path(co->encoder));
    const double threshold = std::isnan(co->threshold) ? enc.threshold : co->threshold;
    if (std::isnan(threshold))
      throw InvalidArgument(enc.source + " holds no calibrated threshold (dubkit.threshold): pass --threshold");
    const VoiceEmbedding ea = embed_file(enc.model, co->a, co->embed), eb = embed_file(enc.model, co->b, co->embed);
    warn_clipping(co->a, ea);
    warn_clipping(co->b, eb);
    const double cos = embedding_similarity(ea.embedding, eb.embedding);
    const bool same = cos >= threshold;
    if (co->json) {
      print_json({{"a", describe(co->a, ea)},
                  {"b", describe(co->b, eb)},
                  {"cosine", cos},
                  {"threshold", threshold},
                  {"same_speaker", same},
                  {"encoder", enc.source}});
      return;
    }
    std::printf("cosine %.4f, threshold %.4f: %s speaker\n", cos, threshold, same ? "same" : "different");
  });

  struct EvalOpts : Common {
    std::string corpus, dir;
    SpeakerEvalOptions eval;
  };
  auto vo = std::make_shared<EvalOpts>();
  auto* eval = voice->add_subcommand("eval", "Equal error rate of same/different-speaker trials on a corpus split or labelled recordings");
  auto* corpus_opt = eval->add_option("--corpus", vo->corpus, "Corpus directory (dubkit corpus build)");
  eval->add_option("--dir", vo->dir, "Or: a directory with one subdirectory of recordings per speaker")->excludes(corpus_opt);
  eval->add_option("--split", vo->eval.split, "train, val or test")->capture_default_str();
  eval->add_option("--seconds", vo->eval.seconds, "Speech per trial utterance")->capture_default_str();
  eval->add_option("--per-speaker", vo->eval.per_speaker, "Utterances per speaker")->capture_default_str();
  eval->add_option("--lang", vo->eval.lang, "Only this language");
  eval->add_option("--source", vo->eval.base_voice, "Only this base voice (a real corpus: this source, e.g. asterisk-it)");
  eval->add_option("--min-minutes", vo->eval.min_minutes, "Only speakers with at least this much audio in the split")
      ->capture_default_str();
  eval->add_option("--seed", vo->eval.seed, "Seed for the utterance choice")->capture_default_str();
  add_common(eval, *vo);
  eval->footer("Example: dubkit voice eval --corpus corpus --split test --seconds 2 --json\n"
               "         dubkit voice eval --corpus real --split test --source klettres   (dubkit corpus real)\n"
               "         dubkit voice eval --dir recordings/ --seconds 2   (recordings/<speaker>/*.wav)");
  register_enroll(voice);
  register_adapt(voice);
  register_adapt_eval(voice);
  eval->callback([vo] {
    if (vo->corpus.empty() && vo->dir.empty()) throw InvalidArgument("voice eval: give --corpus or --dir");
    LoadedEncoder enc = load_speaker_encoder(encoder_path(vo->encoder));
    const SpeakerEvalResult r = vo->dir.empty()
                                    ? evaluate_speakers(enc.model, vo->corpus, read_manifest(vo->corpus), vo->eval)
                                    : evaluate_speaker_dirs(enc.model, vo->dir, vo->eval);
    // The error rates at the file's own threshold are what `voice compare` users get.
    const double t = enc.threshold;
    const nlohmann::ordered_json at_threshold =
        std::isnan(t) ? nlohmann::ordered_json()
                      : nlohmann::ordered_json{{"threshold", t}, {"false_accept_rate", r.false_accept_rate(t)},
                                               {"false_reject_rate", r.false_reject_rate(t)}};
    if (vo->json) {
      print_json({{"data", vo->dir.empty() ? vo->corpus : vo->dir},
                  {"split", vo->dir.empty() ? vo->eval.split : ""},
                  {"lang", vo->eval.lang},
                  {"source", vo->eval.base_voice},
                  {"min_minutes", vo->eval.min_minutes},
                  {"seconds", vo->eval.seconds},
                  {"speakers", r.speakers},
                  {"utterances", r.utterances},
                  {"same_trials", r.eer.same_trials},
                  {"different_trials", r.eer.different_trials},
                  {"eer", r.eer.eer},
                  {"eer_threshold", r.eer.threshold},
                  {"at_calibrated_threshold", at_threshold},
                  {"encoder", enc.source}});
      return;
    }
    std::printf("%s: %d speakers, %d utterances, %zu same / %zu different trials: EER %.2f%% at %.4f\n",
                (vo->dir.empty() ? vo->corpus + " split " + vo->eval.split : vo->dir).c_str(), r.speakers, r.utterances, r.eer.same_trials, r.eer.different_trials,
                100 * r.eer.eer, r.eer.threshold);
    if (!std::isnan(t))
      std::printf("at the encoder's calibrated threshold %.4f: false accepts %.2f%%, false rejects %.2f%%\n", t,
                  100 * r.false_accept_rate(t), 100 * r.false_reject_rate(t));
  });
}

}  // namespace dubkit::cli
