#include "align/aligner_eval.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "align/festival_labels.hpp"
#include "audio/io.hpp"
#include "audio/resample.hpp"
#include "core/error.hpp"
#include "corpus/manifest.hpp"
#include "corpus/transcripts.hpp"

namespace dubkit {

namespace fs = std::filesystem;

namespace {

double elapsed(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Waveform read_16k(const std::string& path) {
  Waveform w = read_mono(path);
  return w.rate == kAlignerSampleRate ? w : resample(w, kAlignerSampleRate);
}

std::vector<std::string> names(const std::vector<PhoneSpan>& spans) {
  std::vector<std::string> out;
  for (const PhoneSpan& p : spans) out.push_back(p.phone);
  return out;
}

}  // namespace

void CorpusAlignEvalOptions::validate() const {
  if (corpus_dir.empty()) throw InvalidArgument("align eval: --corpus is required");
  if (split != "train" && split != "val" && split != "test")
    throw InvalidArgument("align eval: --split '" + split + "' must be train, val or test");
  if (utterances < 0) throw InvalidArgument("align eval: --utterances must not be negative");
  if (!(tolerance_ms > 0)) throw InvalidArgument("align eval: --tolerance-ms must be positive");
}

void FestivalAlignEvalOptions::validate() const {
  if (lab_dir.empty() || wav_dir.empty() || prompts.empty())
    throw InvalidArgument("align eval: --festvox-lab, --festvox-wav and --text go together");
  if (utterances < 0) throw InvalidArgument("align eval: --utterances must not be negative");
  if (!(tolerance_ms > 0)) throw InvalidArgument("align eval: --tolerance-ms must be positive");
}

AlignEvalReport evaluate_aligner_on_corpus(const Aligner& aligner, const CorpusAlignEvalOptions& o) {
  o.validate();
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<CorpusUtterance> chosen;
  for (CorpusUtterance& u : read_manifest(o.corpus_dir))
    if (u.split == o.split && (o.lang.empty() || u.lang == o.lang) && !u.phones.empty()) chosen.push_back(std::move(u));
  if (chosen.empty())
    throw InvalidArgument("align eval: " + o.corpus_dir + " has no " + o.split + " utterances" +
                          (o.lang.empty() ? "" : " in language '" + o.lang + "'"));
  if (o.utterances > 0 && static_cast<std::size_t>(o.utterances) < chosen.size()) {
    std::vector<CorpusUtterance> spread;
    for (int i = 0; i < o.utterances; ++i) spread.push_back(chosen[i * chosen.size() / static_cast<std::size_t>(o.utterances)]);
    chosen.swap(spread);
  }
  AlignEvalReport r;
  BoundaryErrors all;
  std::map<std::string, BoundaryErrors> groups;
  for (const CorpusUtterance& u : chosen) {
    const Waveform w = read_16k(o.corpus_dir + "/" + u.path);
    std::vector<PhoneSpan> hyp;
    try {
      hyp = aligner.align(w, names(u.phones), o.align);
    } catch (const InvalidArgument&) {
      ++r.failed;
      continue;
    }
    const BoundaryErrors e = boundary_errors(u.phones, hyp);
    all.add(e);
    const std::string engine = u.base_voice.rfind("flite", 0) == 0 ? "flite" : "espeak-ng";
    groups[u.lang + "/" + engine].add(e);
    ++r.utterances;
    r.audio_seconds += double(w.samples.size()) / w.rate;
  }
  r.all = summarize(all, o.tolerance_ms);
  for (const auto& [name, e] : groups) r.groups[name] = summarize(e, o.tolerance_ms);
  r.seconds = elapsed(t0);
  return r;
}

AlignEvalReport evaluate_aligner_on_festival(const Aligner& aligner, const FestivalAlignEvalOptions& o) {
  o.validate();
  const auto t0 = std::chrono::steady_clock::now();
  std::ifstream file(o.prompts);
  if (!file) throw IoError(o.prompts + ": cannot open the prompt list (festvox etc/txt.done.data)");
  std::ostringstream content;
  content << file.rdbuf();
  std::vector<TranscriptEntry> prompts = parse_festival_prompts(content.str()).entries;
  if (o.utterances > 0 && static_cast<std::size_t>(o.utterances) < prompts.size()) prompts.resize(static_cast<std::size_t>(o.utterances));
  AlignEvalReport r;
  BoundaryErrors transcript, oracle;
  for (const TranscriptEntry& p : prompts) {
    const std::string lab = o.lab_dir + "/" + p.key + ".lab", wav = o.wav_dir + "/" + p.key + ".wav";
    if (!fs::exists(lab) || !fs::exists(wav)) {
      ++r.failed;
      continue;
    }
    std::vector<PhoneSpan> reference = read_festival_labels(lab);
    for (PhoneSpan& s : reference) s.phone = msu_ru_phone_to_ipa(s.phone);
    const Waveform w = read_16k(wav);
    std::string text = p.text;
    text.erase(std::remove(text.begin(), text.end(), '+'), text.end());  // festival's stress marks
    try {
      const FrameScores lp = aligner.log_posteriors(w);
      const double seconds = double(w.samples.size()) / w.rate;
      const std::vector<std::string> phones = phones_for_text(text, o.lang);
      transcript.add(matched_boundary_errors(reference, aligner.align_posteriors(lp, seconds, phones, o.align)));
      oracle.add(boundary_errors(reference, aligner.align_posteriors(lp, seconds, names(reference), o.align)));
      r.audio_seconds += seconds;
      ++r.utterances;
    } catch (const InvalidArgument&) {
      ++r.failed;
    }
  }
  r.all = summarize(transcript, o.tolerance_ms);
  r.groups["lab-phones"] = summarize(oracle, o.tolerance_ms);
  r.seconds = elapsed(t0);
  return r;
}

}  // namespace dubkit
