#include "train/synth_eval.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>

#include "audio/io.hpp"
#include "core/error.hpp"
#include "corpus/builder.hpp"
#include "corpus/manifest.hpp"
#include "synth/tts.hpp"
#include "text/phonemizer.hpp"
#include "voice/speech_recognizer.hpp"
#include "voice/voice_embedding.hpp"

namespace dubkit {

namespace {

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw IoError(path + ": cannot open");
  std::vector<std::string> out;
  for (std::string line; std::getline(f, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

}  // namespace

void SynthEvalOptions::validate() const {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw InvalidArgument("synth eval: " + what);
  };
  need(!corpus_dir.empty(), "--corpus is required");
  need(!synthesizer_path.empty() && !encoder_path.empty(), "a synthesizer and an encoder are required");
  need(split == "train" || split == "val" || split == "test", "--split must be train, val or test");
  need(sentences >= 1, "--sentences must be at least 1");
  need(enroll_utterances >= 1, "--enroll must be at least 1");
  for (double s : stretches) need(s > 0, "stretches must be positive");
  need(!recognise || lang == "en", "word error rates need PocketSphinx's English model; pass --no-wer for --lang " + lang);
}

nlohmann::ordered_json evaluate_synthesizer(const SynthEvalOptions& o, const std::function<void(int, int)>& progress) {
  o.validate();
  const std::vector<CorpusUtterance> manifest = read_manifest(o.corpus_dir);
  std::vector<CorpusSpeaker> speakers;
  for (CorpusSpeaker& s : read_corpus_speakers(o.corpus_dir))
    if (s.split == o.split && s.base.lang == o.lang) speakers.push_back(std::move(s));
  if (speakers.size() < 2)
    throw InvalidArgument("synth eval: the corpus has " + std::to_string(speakers.size()) + " " + o.lang + " speakers in split " +
                          o.split + "; need at least 2");
  const std::string sentence_file = o.corpus_dir + "/heldout_sentences." + o.lang + ".txt";
  std::vector<std::string> sentences = read_lines(sentence_file);
  if (sentences.empty()) throw FormatError(sentence_file + ": no held-out sentences");
  if (sentences.size() > static_cast<std::size_t>(o.sentences)) sentences.resize(static_cast<std::size_t>(o.sentences));

  LoadedEncoder encoder = load_speaker_encoder(o.encoder_path);
  TextToSpeech tts(o.synthesizer_path);
  std::vector<std::vector<float>> profiles;
  for (const CorpusSpeaker& s : speakers) {
    // The speaker's longest recordings: short ones may hold less than the second of speech an
    // embedding needs.
    std::vector<const CorpusUtterance*> own;
    for (const CorpusUtterance& u : manifest)
      if (u.speaker == s.id) own.push_back(&u);
    std::stable_sort(own.begin(), own.end(), [](auto* a, auto* b) { return a->duration > b->duration; });
    if (own.empty()) throw FormatError(o.corpus_dir + ": speaker " + s.id + " has no utterances in the manifest");
    std::vector<std::string> files;
    for (std::size_t i = 0; i < own.size() && static_cast<int>(i) < o.enroll_utterances; ++i)
      files.push_back(o.corpus_dir + "/" + own[i]->path);
    profiles.push_back(average_embedding(encoder.model, files).embedding);
  }
  auto cosine = [](const std::vector<float>& a, const torch::Tensor& b) {
    return embedding_similarity(torch::tensor(a), b);
  };
  std::optional<SpeechRecognizer> asr;
  if (o.recognise) asr.emplace();
  const std::unique_ptr<Vocoder> vocoder = open_vocoder(o.vocoder, 32, tts.preset().name);

  WordErrors synth_wer, truth_wer;
  double similarity_sum = 0, truth_similarity_sum = 0, audio_seconds = 0, wall_seconds = 0;
  long closer = 0, pairs = 0, judged = 0, too_short = 0;
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (std::size_t j = 0; j < sentences.size(); ++j) {
    const std::size_t si = j % speakers.size();
    const CorpusSpeaker& s = speakers[si];
    const std::string spoken = phonemize(sentences[j], espeak_language(o.lang)).normalized;
    const Waveform truth = speak_as(s, spoken, static_cast<unsigned>(o.seed + j), 0.7).wave;
    SayOptions say;
    say.lang = o.lang;
    say.seed = o.seed + j;
    Waveform synth;
    synth.rate = tts.sample_rate();
    const SayReport rep = tts.say(sentences[j], profiles[si], say, *vocoder, [&](const Waveform& w) {
      synth.samples.insert(synth.samples.end(), w.samples.begin(), w.samples.end());
    });
    audio_seconds += rep.seconds;
    wall_seconds += rep.wall_seconds;
    nlohmann::ordered_json row{{"speaker", s.id}, {"text", spoken}, {"seconds", rep.seconds}, {"truth_seconds", truth.seconds()}};
    if (asr) {
      const std::string heard = asr->transcribe(synth), heard_truth = asr->transcribe(truth);
      const WordErrors e = word_errors(spoken, heard), et = word_errors(spoken, heard_truth);
      synth_wer += e;
      truth_wer += et;
      row["heard"] = heard;
      row["wer"] = e.rate();
      row["heard_truth"] = heard_truth;
      row["truth_wer"] = et.rate();
    }
    // A sentence shorter than the second of speech an embedding needs has no similarity.
    torch::Tensor emb, truth_emb;
    try {
      emb = embed_wave(encoder.model, synth, "synthesised " + s.id).embedding;
      truth_emb = embed_wave(encoder.model, truth, "truth " + s.id).embedding;
    } catch (const InvalidArgument&) {
      ++too_short;
    }
    if (emb.defined() && truth_emb.defined()) {
      const double own = cosine(profiles[si], emb);
      similarity_sum += own;
      truth_similarity_sum += cosine(profiles[si], truth_emb);
      ++judged;
      for (std::size_t k = 0; k < speakers.size(); ++k) {
        if (k == si) continue;
        ++pairs;
        if (own > cosine(profiles[k], emb)) ++closer;
      }
      row["similarity"] = own;
    }
    rows.push_back(row);
    if (progress) progress(static_cast<int>(j + 1), static_cast<int>(sentences.size()));
  }

  // Duration control: the produced length of whole texts asked to last natural x stretch.
  nlohmann::ordered_json durations = nlohmann::ordered_json::array();
  double worst = 0;
  const std::size_t n_dur = std::min<std::size_t>(sentences.size(), 4);
  for (double stretch : o.stretches) {
    double max_error = 0;
    for (std::size_t j = 0; j < n_dur; ++j) {
      const std::vector<float>& spk = profiles[j % speakers.size()];
      SayOptions say;
      say.lang = o.lang;
      double natural = 0;
      for (const SentencePlan& p : tts.plan(sentences[j], spk, say))
        for (double f : p.predicted_frames) natural += f / tts.frames_per_second();
      say.durations.total_seconds = natural * stretch;
      std::size_t samples = 0;
      tts.say(sentences[j], spk, say, *vocoder, [&](const Waveform& w) { samples += w.samples.size(); });
      const double produced = double(samples) / tts.sample_rate();
      max_error = std::max(max_error, std::abs(produced - say.durations.total_seconds) / say.durations.total_seconds);
    }
    worst = std::max(worst, max_error);
    durations.push_back({{"stretch", stretch}, {"sentences", n_dur}, {"max_relative_error", max_error}});
  }

  nlohmann::ordered_json report{{"corpus", o.corpus_dir},
                                {"synthesizer", o.synthesizer_path},
                                {"vocoder", vocoder->name()},
                                {"encoder", o.encoder_path},
                                {"split", o.split},
                                {"lang", o.lang},
                                {"speakers", speakers.size()},
                                {"sentences", sentences.size()}};
  if (asr) {
    report["wer"] = synth_wer.rate();
    report["truth_wer"] = truth_wer.rate();
    report["wer_ratio"] = truth_wer.rate() > 0 ? synth_wer.rate() / truth_wer.rate() : NAN;
    report["words"] = synth_wer.reference_words;
  }
  report["similarity_mean"] = judged ? similarity_sum / judged : NAN;
  report["truth_similarity_mean"] = judged ? truth_similarity_sum / judged : NAN;
  report["similarity_sentences"] = judged;
  report["too_short_for_similarity"] = too_short;
  report["same_closer_fraction"] = pairs ? double(closer) / pairs : 0.0;
  report["pairs"] = pairs;
  report["duration_max_relative_error"] = worst;
  report["duration"] = durations;
  report["real_time_factor"] = audio_seconds > 0 ? wall_seconds / audio_seconds : 0.0;
  report["rows"] = rows;
  return report;
}

}  // namespace dubkit
