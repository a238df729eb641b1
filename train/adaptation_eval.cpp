#include "train/adaptation_eval.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>
#include <random>

#include "audio/io.hpp"
#include "audio/mel_cepstral_distortion.hpp"
#include "audio/resample.hpp"
#include "audio/voice_statistics.hpp"
#include "core/error.hpp"
#include "corpus/manifest.hpp"
#include "provenance/crypto.hpp"
#include "synth/tts.hpp"
#include "voice/speech_recognizer.hpp"
#include "voice/voice_embedding.hpp"

namespace dubkit {

namespace fs = std::filesystem;

namespace {

struct TestSentence {
  const CorpusUtterance* utterance = nullptr;
  Waveform recording;  // 16 kHz
};

Waveform at16k(Waveform w) { return w.rate == 16000 ? w : resample(w, 16000); }

Waveform read16k(const std::string& path) { return at16k(read_mono(path)); }

// The waves one after another, 0.2 s of silence between them (for pooled Praat statistics).
Waveform concatenate(const std::vector<Waveform>& waves) {
  Waveform all;
  all.rate = 16000;
  for (const Waveform& w : waves) {
    all.samples.insert(all.samples.end(), w.samples.begin(), w.samples.end());
    all.samples.insert(all.samples.end(), 3200, 0.0f);
  }
  return all;
}

nlohmann::ordered_json praat_json(const VoiceStatistics& s) {
  return {{"median_f0", s.median_f0}, {"f1", s.f1}, {"f2", s.f2}, {"f3", s.f3}, {"voiced_frames", s.voiced_frames}};
}

// |synthesis / recordings - 1| per statistic, the largest of them.
double worst_relative_error(const VoiceStatistics& synth, const VoiceStatistics& own) {
  double worst = 0;
  for (auto [a, b] : {std::pair{synth.median_f0, own.median_f0}, {synth.f1, own.f1}, {synth.f2, own.f2}, {synth.f3, own.f3}})
    worst = std::max(worst, std::abs(a / b - 1));
  return worst;
}

}  // namespace

void AdaptEvalOptions::validate() const {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw InvalidArgument("voice adapt-eval: " + what);
  };
  need(!corpus_dir.empty() && !speaker.empty(), "--corpus and --speaker are required");
  need(!synthesizer.empty() && !aligner.empty() && !encoder.empty() && !vocoder.empty(), "the models are required");
  need(!minutes.empty() && std::is_sorted(minutes.begin(), minutes.end()) && minutes.front() >= 0,
       "--minutes must be ascending and not negative");
  need(test_utterances >= 1, "--test must be at least 1");
  need(!work_dir.empty(), "--work is required");
  need(!recognise || lang == "en", "word error rates need PocketSphinx's English model; pass --no-wer for --lang " + lang);
}

nlohmann::ordered_json evaluate_adaptation(const AdaptEvalOptions& o, const std::function<void(const std::string&)>& progress) {
  o.validate();
  auto stage = [&](const std::string& s) {
    if (progress) progress(s);
  };
  const std::vector<CorpusUtterance> manifest = read_manifest(o.corpus_dir);
  std::vector<const CorpusUtterance*> own;
  for (const CorpusUtterance& u : manifest)
    if (u.speaker == o.speaker && u.lang == o.lang) own.push_back(&u);
  if (own.empty()) throw InvalidArgument("voice adapt-eval: " + o.corpus_dir + " has no " + o.lang + " recording of " + o.speaker);
  std::sort(own.begin(), own.end(), [](auto* a, auto* b) { return a->id < b->id; });
  std::shuffle(own.begin(), own.end(), std::mt19937_64(o.seed));

  std::vector<TestSentence> test;
  std::vector<const CorpusUtterance*> pool;
  for (const CorpusUtterance* u : own) {
    if (static_cast<int>(test.size()) < o.test_utterances && u->duration >= o.min_test_seconds)
      test.push_back({u, read16k(o.corpus_dir + "/" + u->path)});
    else if (u->duration <= o.adapt.max_clip_seconds)
      pool.push_back(u);
  }
  // Each condition's clips: the pool's first recordings until its minutes are reached.
  std::vector<std::vector<AdaptationClip>> clips(o.minutes.size());
  double pooled = 0;
  std::size_t next = 0;
  for (std::size_t c = 0; c < o.minutes.size(); ++c) {
    if (c > 0) clips[c] = clips[c - 1];
    while (pooled < o.minutes[c] * 60 && next < pool.size()) {
      const CorpusUtterance* u = pool[next++];
      clips[c].push_back({o.corpus_dir + "/" + u->path, u->text, 0, -1, u->id});
      pooled += u->duration;
    }
    if (pooled < o.minutes[c] * 60)
      throw InvalidArgument("voice adapt-eval: " + o.speaker + " has " + std::to_string(pooled / 60) +
                            " min besides the test sentences, fewer than " + std::to_string(o.minutes[c]));
  }

  stage("embeddings");
  LoadedEncoder encoder = load_speaker_encoder(o.encoder);
  // The profile: the first non-zero condition's recordings, as an enrollment would be.
  std::vector<VoiceEmbedding> enrollment;
  for (const std::vector<AdaptationClip>& cs : clips)
    if (enrollment.empty())
      for (const AdaptationClip& c : cs) try {
          enrollment.push_back(embed_file(encoder.model, c.audio));
        } catch (const InvalidArgument&) {
          // under a second of speech: an enrollment would refuse it too
        }
  if (enrollment.empty()) throw InvalidArgument("voice adapt-eval: no condition with recordings to enrol the profile from");
  const std::vector<float> embedding = average_embedding(enrollment).embedding;
  std::vector<VoiceEmbedding> test_embeddings;
  std::vector<Waveform> recordings;
  for (const TestSentence& t : test) {
    test_embeddings.push_back(embed_wave(encoder.model, t.recording, t.utterance->id));
    recordings.push_back(t.recording);
  }
  const torch::Tensor reference = torch::tensor(average_embedding(test_embeddings).embedding);
  const VoiceStatistics own_stats = praat_voice_statistics(concatenate(recordings), 5500);
  const double ceiling = formant_ceiling_for(own_stats.median_f0);
  const VoiceStatistics recordings_stats = praat_voice_statistics(concatenate(recordings), ceiling);

  std::optional<SpeechRecognizer> asr;
  WordErrors recordings_wer;
  if (o.recognise) {
    stage("recognising the recordings");
    asr.emplace();
    for (const TestSentence& t : test) recordings_wer += word_errors(t.utterance->text, asr->transcribe(t.recording));
  }

  TextToSpeech tts(o.synthesizer);
  const std::unique_ptr<Vocoder> vocoder = open_vocoder(o.vocoder, 32, tts.preset().name);
  nlohmann::ordered_json conditions = nlohmann::ordered_json::array();
  double zero_mcd = NAN, zero_similarity = NAN, zero_wer = NAN;
  for (std::size_t c = 0; c < o.minutes.size(); ++c) {
    VoiceProfile profile;
    profile.name = o.speaker;
    profile.encoder = fs::path(o.encoder).filename().string();
    profile.embedding = embedding;
    nlohmann::ordered_json row{{"minutes", o.minutes[c]}, {"clips", clips[c].size()}};
    if (!clips[c].empty()) {
      stage("adapting on " + std::to_string(o.minutes[c]) + " min");
      VoiceAdaptOptions a = o.adapt;
      a.synthesizer = o.synthesizer;
      a.aligner = o.aligner;
      a.embedding = embedding;
      a.lang = o.lang;
      a.clips = clips[c];
      a.work_dir = o.work_dir;
      a.resume = false;
      std::error_code ec;
      fs::remove_all(o.work_dir, ec);
      const VoiceAdaptResult r = adapt_voice(a);
      fs::remove_all(o.work_dir, ec);
      VoiceAdaptation adaptation;
      adaptation.synthesizer = fs::path(o.synthesizer).filename().string();
      adaptation.synthesizer_sha256 = sha256_file_hex(o.synthesizer);
      adaptation.parameters = r.adapter;
      profile.adaptation = adaptation;
      row["seconds"] = r.report.seconds;
      row["steps"] = r.report.steps;
      row["stopped_early"] = r.report.stopped_early;
      row["loss_before"] = r.report.loss_before;
      row["loss_after"] = r.report.loss_after;
      row["adapt_wall_seconds"] = r.report.wall_seconds;
    }
    stage("reading the test sentences, " + std::to_string(o.minutes[c]) + " min");
    const std::vector<float> speaker = tts.use_voice(profile);
    std::vector<Waveform> syntheses;
    double mcd = 0, similarity = 0;
    WordErrors wer;
    for (std::size_t i = 0; i < test.size(); ++i) {
      SayOptions say;
      say.lang = o.lang;
      say.seed = o.seed + i;
      Waveform synth;
      synth.rate = tts.sample_rate();
      tts.say(test[i].utterance->text, speaker, say, *vocoder, [&](const Waveform& w) {
        synth.samples.insert(synth.samples.end(), w.samples.begin(), w.samples.end());
      });
      synth = at16k(std::move(synth));  // every measure here compares on the recordings' 16 kHz
      mcd += mel_cepstral_distortion_dtw(test[i].recording, synth);
      similarity += embedding_similarity(embed_wave(encoder.model, synth, "synthesis").embedding, reference);
      if (asr) wer += word_errors(test[i].utterance->text, asr->transcribe(synth));
      syntheses.push_back(std::move(synth));
    }
    mcd /= test.size();
    similarity /= test.size();
    const VoiceStatistics stats = praat_voice_statistics(concatenate(syntheses), ceiling);
    if (c == 0) zero_mcd = mcd, zero_similarity = similarity, zero_wer = asr ? wer.rate() : NAN;
    row["mcd_dtw"] = mcd;
    row["mcd_vs_first"] = mcd / zero_mcd - 1;
    row["similarity"] = similarity;
    row["similarity_vs_first"] = similarity - zero_similarity;
    row["praat"] = praat_json(stats);
    row["praat_worst_relative_error"] = worst_relative_error(stats, recordings_stats);
    if (asr) {
      row["wer"] = wer.rate();
      row["wer_vs_recordings"] = wer.rate() / std::max(recordings_wer.rate(), 1e-9);
      row["wer_vs_first"] = wer.rate() / std::max(zero_wer, 1e-9);
    }
    conditions.push_back(row);
  }
  nlohmann::ordered_json out{{"speaker", o.speaker},
                             {"lang", o.lang},
                             {"synthesizer", o.synthesizer},
                             {"vocoder", o.vocoder},
                             {"test_sentences", test.size()},
                             {"test_seconds", concatenate(recordings).seconds() - 0.2 * test.size()},
                             {"recordings", {{"praat", praat_json(recordings_stats)}, {"formant_ceiling", ceiling}}},
                             {"conditions", conditions}};
  if (asr) out["recordings"]["wer"] = recordings_wer.rate();
  return out;
}

}  // namespace dubkit
