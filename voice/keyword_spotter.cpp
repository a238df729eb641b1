#include "voice/keyword_spotter.hpp"

#include <pocketsphinx.h>
#include <sphinxbase/ckd_alloc.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "core/error.hpp"
#include "voice/pocketsphinx_decoder.hpp"

namespace dubkit {

namespace {

constexpr double kFrameSeconds = 0.01;  // the en-us model's 100 frames per second
// PocketSphinx scores are logarithms to base 1.0001 shifted right by 10 bits (SENSCR_SHIFT).
const double kScoreToNats = 1024.0 * std::log(1.0001);
// Detections end a few frames before pocketsphinx reports them (-kws_delay): silence after the
// audio lets a word at its very end be reported.
constexpr double kTrailingSilence = 0.3;

struct Detection {
  int first = 0, last = 0;  // frames, inclusive
  double score = 0;         // nats per frame
};

bool overlap(const Detection& a, const Detection& b) {
  const int common = std::min(a.last, b.last) - std::max(a.first, b.first) + 1;
  return 2 * common >= std::min(a.last - a.first, b.last - b.first) + 1;
}

// pocketsphinx reads several keyphrases only from a file: one, removed on scope exit.
class KeyphraseFile {
 public:
  explicit KeyphraseFile(const std::set<std::string>& phrases) {
    std::string pattern = (std::filesystem::temp_directory_path() / "dubkit-keyphrases-XXXXXX").string();
    const int fd = mkstemp(pattern.data());
    if (fd < 0) throw IoError("keyword spotting: cannot make a temporary file in " + std::filesystem::temp_directory_path().string());
    close(fd);
    path_ = pattern;
    std::ofstream out(path_);
    for (const std::string& p : phrases) out << p << "\n";
    if (!out.flush()) throw IoError("keyword spotting: cannot write " + path_);
  }
  ~KeyphraseFile() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

// Every detection is wanted, however poor, so that each word gets its best score: a threshold of
// 1e-300 keeps them all (the scores decide, not the spotter).
KeywordSpotter::KeywordSpotter(const RecognizerConfig& config)
    : decoder_(std::make_unique<PocketSphinxDecoder>(config, std::vector<std::string>{"-kws_threshold", "1e-300"})) {}

KeywordSpotter::~KeywordSpotter() = default;
KeywordSpotter::KeywordSpotter(KeywordSpotter&&) noexcept = default;
KeywordSpotter& KeywordSpotter::operator=(KeywordSpotter&&) noexcept = default;

bool KeywordSpotter::in_dictionary(const std::string& word) const {
  char* pron = ps_lookup_word(decoder_->get(), word.c_str());
  const bool found = pron != nullptr;
  ckd_free(pron);
  return found;
}

std::vector<SpottedWord> KeywordSpotter::spot_in_order(const Waveform& wave, const std::string& anchor,
                                                       const std::vector<std::string>& words,
                                                       const std::vector<std::string>& candidates) {
  // Phrases as pocketsphinx spells them: normalised words, and only those in the dictionary.
  auto phrase_of = [&](const std::string& text) {
    std::string phrase;
    for (const std::string& w : normalize_words(text)) {
      if (!in_dictionary(w)) return std::string();
      phrase += (phrase.empty() ? "" : " ") + w;
    }
    return phrase;
  };
  const std::string anchor_phrase = phrase_of(anchor);
  std::set<std::string> phrases;
  if (!anchor_phrase.empty()) phrases.insert(anchor_phrase);
  for (const auto* list : {&words, &candidates})
    for (const std::string& w : *list)
      if (const std::string p = phrase_of(w); !p.empty()) phrases.insert(p);

  std::vector<SpottedWord> out;
  for (const std::string& w : words) out.push_back(SpottedWord{w});
  if (phrases.empty() || (!anchor.empty() && anchor_phrase.empty())) return out;

  ps_decoder_t* ps = decoder_->get();
  const KeyphraseFile file(phrases);
  if (ps_set_kws(ps, "dubkit-keywords", file.path().c_str()) < 0 || ps_set_search(ps, "dubkit-keywords") < 0)
    throw Error("pocketsphinx refused the keyphrases: " + PocketSphinxDecoder::last_error());
  std::map<std::string, std::vector<Detection>> found;
  if (!decoder_->decode(wave, kTrailingSilence)) return out;
  for (ps_seg_t* seg = ps_seg_iter(ps); seg; seg = ps_seg_next(seg)) {
    Detection d;
    ps_seg_frames(seg, &d.first, &d.last);
    int32 ascr = 0, lscr = 0, lback = 0;
    d.score = ps_seg_prob(seg, &ascr, &lscr, &lback) * kScoreToNats / std::max(1, d.last - d.first + 1);
    found[ps_seg_word(seg)].push_back(d);
  }

  // The best detection of `phrase` after `previous`: starting later, and overlapping it by less
  // than half (neighbouring words share a few frames at their boundary).
  auto best_after = [&](const std::string& phrase, const Detection* previous) -> const Detection* {
    const Detection* best = nullptr;
    for (const Detection& d : found[phrase])
      if ((!previous || (d.first > previous->first && !overlap(*previous, d))) && (!best || d.score > best->score)) best = &d;
    return best;
  };
  const Detection* previous = nullptr;
  if (!anchor_phrase.empty() && !(previous = best_after(anchor_phrase, nullptr))) return out;
  for (SpottedWord& s : out) {
    const std::string phrase = phrase_of(s.word);
    const Detection* d = phrase.empty() ? nullptr : best_after(phrase, previous);
    if (!d) break;
    s.found = true;
    s.start = d->first * kFrameSeconds;
    s.end = (d->last + 1) * kFrameSeconds;
    s.score = d->score;
    double rival = -std::numeric_limits<double>::infinity();
    for (const auto& [other, detections] : found)
      if (other != phrase && other != anchor_phrase)
        for (const Detection& o : detections)
          if (overlap(*d, o)) rival = std::max(rival, o.score);
    s.margin = d->score - rival;
    previous = d;
  }
  return out;
}

}  // namespace dubkit
