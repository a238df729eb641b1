#include "dub/dub_check.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <optional>

#include <torch/torch.h>

#include "audio/resample.hpp"
#include "audio/vad.hpp"
#include "core/error.hpp"
#include "corpus/engines.hpp"
#include "dub/dub_report.hpp"
#include "provenance/crypto.hpp"
#include "provenance/watermark.hpp"
#include "sync/sync_score.hpp"
#include "text/phonemizer.hpp"
#include "video/video_reader.hpp"
#include "voice/speaker_encoder.hpp"
#include "voice/speech_recognizer.hpp"
#include "voice/voice_embedding.hpp"

namespace dubkit {
namespace {

Waveform cut(const Waveform& w, double from, double to) {
  const long a = std::clamp<long>(std::lround(from * w.rate), 0, static_cast<long>(w.samples.size()));
  const long b = std::clamp<long>(std::lround(to * w.rate), a, static_cast<long>(w.samples.size()));
  return Waveform{w.rate, std::vector<float>(w.samples.begin() + a, w.samples.begin() + b)};
}

// The format leaves these optional (a review page does without them); what is measured here
// cannot.
void require_measured(const DubReport& r, const std::string& path) {
  if (r.lang.empty()) throw dub_report_field_error(path, "lang", "is missing");
  for (std::size_t i = 0; i < r.lines.size(); ++i) {
    const DubLine& l = r.lines[i];
    for (const auto& [name, value] : {std::pair<const char*, double>{"speech_start", l.speech_start},
                                      {"speech_end", l.speech_end}, {"available_seconds", l.available_seconds}})
      if (!std::isfinite(value)) throw dub_report_field_error(path, "lines[" + std::to_string(i) + "]." + name, "is missing");
  }
}

}  // namespace

std::vector<std::string> ipa_to_cmu(const std::string& ipa) {
  // Longest match first; two-letter units (diphthongs, affricates) before their parts.
  static const std::vector<std::pair<std::string, std::vector<std::string>>> table = [] {
    std::vector<std::pair<std::string, std::vector<std::string>>> t = {
        {"aɪ", {"ay"}}, {"aʊ", {"aw"}}, {"ɔʏ", {"oy"}}, {"ɔɪ", {"oy"}}, {"eɪ", {"ey"}}, {"oʊ", {"ow"}}, {"əʊ", {"ow"}},
        {"tʃ", {"ch"}}, {"dʒ", {"jh"}}, {"ts", {"t", "s"}}, {"pf", {"p", "f"}}, {"ɜː", {"er"}}, {"ɚ", {"er"}},
        {"a", {"aa"}}, {"ɑ", {"aa"}}, {"æ", {"ae"}}, {"ɐ", {"ah"}}, {"ʌ", {"ah"}}, {"ə", {"ah"}}, {"e", {"ey"}},
        {"ɛ", {"eh"}}, {"i", {"iy"}}, {"ɪ", {"ih"}}, {"o", {"ow"}}, {"ɔ", {"ao"}}, {"u", {"uw"}}, {"ʊ", {"uh"}},
        {"y", {"iy"}}, {"ʏ", {"ih"}}, {"ø", {"er"}}, {"œ", {"er"}}, {"ɜ", {"er"}},
        {"p", {"p"}}, {"b", {"b"}}, {"t", {"t"}}, {"d", {"d"}}, {"k", {"k"}}, {"g", {"g"}}, {"ɡ", {"g"}},
        {"m", {"m"}}, {"n", {"n"}}, {"ŋ", {"ng"}}, {"ɲ", {"n", "y"}}, {"f", {"f"}}, {"v", {"v"}}, {"θ", {"th"}},
        {"ð", {"dh"}}, {"s", {"s"}}, {"z", {"z"}}, {"ʃ", {"sh"}}, {"ʒ", {"zh"}}, {"h", {"hh"}}, {"x", {"hh"}},
        {"χ", {"hh"}}, {"ç", {"hh"}}, {"j", {"y"}}, {"ʝ", {"y"}}, {"w", {"w"}}, {"l", {"l"}}, {"ʎ", {"y"}},
        {"r", {"r"}}, {"ɾ", {"r"}}, {"ʁ", {"r"}}, {"ɹ", {"r"}}, {"β", {"b"}}, {"ɣ", {"g"}}, {"ʔ", {}}};
    std::stable_sort(t.begin(), t.end(), [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
    return t;
  }();
  std::vector<std::string> out;
  for (std::size_t i = 0; i < ipa.size();) {
    bool matched = false;
    for (const auto& [sym, cmu] : table)
      if (ipa.compare(i, sym.size(), sym) == 0) {
        out.insert(out.end(), cmu.begin(), cmu.end());
        i += sym.size();
        matched = true;
        break;
      }
    if (matched) continue;
    // Anything else (stress, length, syllable marks, spaces, punctuation, an unmapped symbol):
    // skip one UTF-8 character.
    const auto c = static_cast<unsigned char>(ipa[i]);
    i += c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  }
  return out;
}

double phone_error_rate(const std::vector<std::string>& ref, const std::vector<std::string>& hyp) {
  std::vector<std::size_t> prev(hyp.size() + 1), cur(hyp.size() + 1);
  for (std::size_t j = 0; j <= hyp.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= ref.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= hyp.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ref[i - 1] == hyp[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return static_cast<double>(prev[hyp.size()]) / static_cast<double>(std::max<std::size_t>(1, ref.size()));
}

DubCheckReport check_dub(const DubCheckOptions& o) {
  const std::string report_path = o.dubbed + ".dub.json";
  if (!std::ifstream(report_path)) throw IoError("cannot open the dub report '" + report_path + "' (dubkit dub writes it beside its output)");
  const DubReport report = read_dub_report(report_path);
  require_measured(report, report_path);
  DubCheckReport r;
  r.lang = report.lang;
  const bool english = r.lang == "en";
  r.measure = english ? "wer" : "per";
  const Waveform sound48 = read_audio_track(o.dubbed, 48000);  // decoded once: the mark is sought at 48 kHz
  const Waveform sound = resample(sound48, 16000);
  // English: the original video's own sound at each line's slot, heard the same way (for a
  // re-voiced English script, what the original performance scores).
  Waveform original;
  const std::string& source = report.video;
  if (english && !source.empty() && std::ifstream(source)) original = read_audio_track(source, 16000);

  torch::InferenceMode inference;
  RecognizerConfig rc;
  rc.phones = !english;
  SpeechRecognizer recognizer(rc);  // words for English, phones otherwise
  std::optional<LoadedEncoder> encoder;
  torch::Tensor enrolled;
  if (!o.enrollment.empty()) {
    encoder = load_speaker_encoder(o.encoder);
    enrolled = embed_file(encoder->model, o.enrollment).embedding;
    r.voice_threshold = encoder->threshold;
  }
  BaseVoice reader;  // espeak-ng's voice of the language: the phone recogniser's floor
  if (!english)
    for (const BaseVoice& v : base_voices({r.lang}))
      if (v.engine == "espeak") {
        reader = v;
        break;
      }
  std::vector<std::pair<double, double>> slots;
  double sum = 0, ref_sum = 0, sim_sum = 0;
  long sims = 0;
  for (const DubLine& l : report.lines) {
    DubCheckLine c;
    c.index = l.index;
    c.text = l.text;
    c.start = l.speech_start;
    c.end = l.speech_end;
    slots.emplace_back(l.start, l.start + l.available_seconds);
    const Waveform line = cut(sound, c.start - 0.05, c.end + 0.05);
    if (english) {
      c.heard = recognizer.transcribe(line);
      c.error_rate = word_errors(c.text, c.heard).rate();
      if (!original.samples.empty()) {
        c.reference_error_rate = word_errors(c.text, recognizer.transcribe(cut(original, l.start - 0.05, l.end + 0.05))).rate();
        ref_sum += c.reference_error_rate;
      }
    } else {
      const Phonemes ph = phonemize(c.text, espeak_language(r.lang));
      const std::vector<std::string> ref = ipa_to_cmu(ph.ipa);
      c.heard = recognizer.transcribe(line);
      c.error_rate = phone_error_rate(ref, normalize_words(c.heard));
      if (!reader.id.empty()) {
        const SpokenUtterance u = speak(reader, ph.normalized, 1);
        c.reference_error_rate = phone_error_rate(ref, normalize_words(recognizer.transcribe(u.wave)));
        ref_sum += c.reference_error_rate;
      }
    }
    sum += c.error_rate;
    if (encoder) {
      try {
        EmbedOptions eo;
        eo.min_speech_seconds = 0.5;
        c.voice_similarity = (embed_wave(encoder->model, line, "line " + std::to_string(c.index), eo).embedding * enrolled).sum().item<double>();
        sim_sum += c.voice_similarity;
        ++sims;
      } catch (const InvalidArgument&) {  // too little speech: left at -1
      }
    }
    r.lines.push_back(c);
  }
  const double n = std::max<std::size_t>(1, r.lines.size());
  r.mean_error_rate = sum / n;
  if ((!english && !reader.id.empty()) || (english && !original.samples.empty())) r.mean_reference_error_rate = ref_sum / n;
  if (sims) r.mean_voice_similarity = sim_sum / sims;

  // Voiced stretches of the whole track against the slots.
  VadOptions vad;
  vad.pad_ms = 0;  // the tolerance below is the only slack
  vad.bridge_ms = 100;
  for (const auto& [a, b] : detect_speech(sound, vad).segments) {
    ++r.voiced_segments;
    const double s = double(a) / sound.rate, e = double(b) / sound.rate;
    double best = INFINITY;
    for (const auto& [from, to] : slots) best = std::min(best, std::max({0.0, from - s, e - to}));
    if (best > 0.05) ++r.voiced_outside_slots;
    r.worst_overrun = std::max(r.worst_overrun, best);
  }

  const SyncScore s = score_sync(o.dubbed, *load_sync_judge(o.sync_expert));
  r.sync_offset = s.offset;
  r.sync_confidence = s.confidence;

  r.blocks = static_cast<long>(std::floor(sound.seconds()));
  r.blocks_marked = -1;
  if (!o.key.empty()) {
    const SigningKey key = read_signing_key(o.key);
    const WatermarkDetection d = detect_watermark(sound48, key.watermark);
    r.blocks_marked = static_cast<long>(std::count_if(d.blocks.begin(), d.blocks.end(), [](const WatermarkBlock& b) { return b.found; }));
  }
  return r;
}

}  // namespace dubkit
