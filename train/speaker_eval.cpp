#include "train/speaker_eval.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <utility>

#include "core/error.hpp"
#include "corpus/perturb.hpp"
#include "voice/voice_embedding.hpp"

namespace dubkit {

namespace fs = std::filesystem;

double SpeakerEvalResult::false_accept_rate(double t) const {
  return double(std::count_if(different.begin(), different.end(), [t](double s) { return s >= t; })) /
         std::max<std::size_t>(1, different.size());
}

double SpeakerEvalResult::false_reject_rate(double t) const {
  return double(std::count_if(same.begin(), same.end(), [t](double s) { return s < t; })) /
         std::max<std::size_t>(1, same.size());
}

namespace {

// Embeds every piece and scores all pairs; `pieces` holds each speaker's pieces, `groups` each
// speaker's group (empty: every speaker its own). Two speakers of one group may be one person,
// so their pairs are neither same nor different trials.
SpeakerEvalResult score_pieces(SpeakerEncoder& encoder, const std::vector<std::vector<Waveform>>& pieces,
                               const std::vector<std::string>& groups, const std::string& what) {
  EmbedOptions embed_opts;
  embed_opts.vad = false;  // pieces are speech already
  std::vector<int> owner;
  std::vector<std::string> owner_group;
  std::vector<torch::Tensor> rows;
  int speakers = 0;
  for (std::size_t k = 0; k < pieces.size(); ++k) {
    for (const Waveform& w : pieces[k]) {
      rows.push_back(embed_wave(encoder, w, what, embed_opts).embedding);
      owner.push_back(speakers);
      owner_group.push_back(groups.empty() ? std::string() : groups[k]);
    }
    if (!pieces[k].empty()) ++speakers;
  }
  if (speakers < 2) throw InvalidArgument("speaker evaluation: " + what + " has fewer than two speakers with usable audio");
  const torch::Tensor e = torch::stack(rows);
  const torch::Tensor sim = torch::matmul(e, e.t()).contiguous();  // unit vectors: cosine
  const float* s = sim.data_ptr<float>();
  std::vector<double> same, different;
  const std::size_t n = rows.size();
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j) {
      if (owner[i] == owner[j])
        same.push_back(s[i * n + j]);
      else if (owner_group[i].empty() || owner_group[i] != owner_group[j])
        different.push_back(s[i * n + j]);
    }
  SpeakerEvalResult r;
  r.eer = equal_error_rate(same, different);
  r.same = std::move(same);
  r.different = std::move(different);
  r.speakers = speakers;
  r.utterances = static_cast<int>(n);
  return r;
}

}  // namespace

SpeakerEvalResult evaluate_speakers(SpeakerEncoder& encoder, const std::string& corpus_dir,
                                    const std::vector<CorpusUtterance>& manifest, const SpeakerEvalOptions& o) {
  std::map<std::string, std::vector<const CorpusUtterance*>> by_speaker;
  std::map<std::string, double> seconds;
  for (const CorpusUtterance& u : manifest)
    if (u.split == o.split && (o.lang.empty() || u.lang == o.lang) && (o.base_voice.empty() || u.base_voice == o.base_voice)) {
      by_speaker[u.speaker].push_back(&u);
      seconds[u.speaker] += u.duration;
    }
  const std::map<std::string, std::string> group_of = read_speaker_groups(corpus_dir);
  std::vector<std::vector<Waveform>> pieces;
  std::vector<std::string> groups;
  for (auto& [speaker, utts] : by_speaker) {
    if (seconds[speaker] < o.min_minutes * 60) continue;
    std::mt19937_64 rng(stable_hash(speaker, o.seed));
    std::shuffle(utts.begin(), utts.end(), rng);
    pieces.emplace_back();
    const auto g = group_of.find(speaker);
    groups.push_back(g == group_of.end() ? speaker : g->second);
    Waveform joined{16000, {}};
    for (const CorpusUtterance* u : utts) {
      if (static_cast<int>(pieces.back().size()) == o.per_speaker) break;
      const Waveform w = read_speech_16k(corpus_dir + "/" + u->path);
      const auto need = static_cast<std::size_t>(o.seconds * w.rate);
      if (w.samples.size() < need) {
        joined.samples.insert(joined.samples.end(), w.samples.begin(), w.samples.end());
        if (joined.samples.size() >= need) {
          joined.samples.resize(need);
          pieces.back().push_back(std::exchange(joined, Waveform{16000, {}}));
        }
        continue;
      }
      const std::size_t offset = rng() % (w.samples.size() - need + 1);
      pieces.back().push_back(Waveform{w.rate, std::vector<float>(w.samples.begin() + static_cast<long>(offset),
                                                                  w.samples.begin() + static_cast<long>(offset + need))});
    }
  }
  return score_pieces(encoder, pieces, groups, corpus_dir + " split '" + o.split + "'");
}

SpeakerEvalResult evaluate_speaker_dirs(SpeakerEncoder& encoder, const std::string& dir, const SpeakerEvalOptions& o) {
  if (!fs::is_directory(dir)) throw InvalidArgument("speaker evaluation: '" + dir + "' is not a directory");
  std::vector<fs::path> speakers;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory()) speakers.push_back(e.path());
  std::sort(speakers.begin(), speakers.end());
  std::vector<std::vector<Waveform>> pieces;
  for (const fs::path& sp : speakers) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(sp))
      if (e.is_regular_file()) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    pieces.emplace_back();
    Waveform cur{16000, {}};
    const auto need = static_cast<std::size_t>(o.seconds * 16000);
    for (const fs::path& f : files) {
      if (static_cast<int>(pieces.back().size()) == o.per_speaker) break;
      const Waveform w = read_speech_16k(f.string());
      cur.samples.insert(cur.samples.end(), w.samples.begin(), w.samples.end());
      if (cur.samples.size() >= need) {
        cur.samples.resize(need);
        pieces.back().push_back(std::move(cur));
        cur = Waveform{16000, {}};
      }
    }
  }
  return score_pieces(encoder, pieces, {}, dir);
}

}  // namespace dubkit
