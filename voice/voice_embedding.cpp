#include "voice/voice_embedding.hpp"

#include <cmath>
#include <cstdio>

#include "audio/io.hpp"
#include "audio/level.hpp"
#include "audio/resample.hpp"
#include "audio/vad.hpp"
#include "core/error.hpp"

namespace dubkit {

namespace {

constexpr int kRate = 16000;  // the ge2e-40 preset's rate

// Sums partial-window embeddings over pieces of one recording.
class Accumulator {
 public:
  Accumulator(SpeakerEncoder& encoder, const EmbedOptions& opts) : encoder_(encoder), opts_(opts) {}

  void add(std::vector<float> samples16k, bool last) {
    for (float x : samples16k) clipped_ += std::abs(x) >= 0.999f;
    total_ += samples16k.size();
    pending_.insert(pending_.end(), samples16k.begin(), samples16k.end());
    if (pending_.size() >= static_cast<std::size_t>(opts_.chunk_seconds * kRate) || (last && !pending_.empty())) flush();
  }

  VoiceEmbedding result(const std::string& what) const {
    VoiceEmbedding r;
    r.seconds = double(total_) / kRate;
    r.speech_seconds = speech_;
    r.partials = partials_;
    r.clipped_fraction = total_ ? double(clipped_) / total_ : 0.0;
    if (speech_ < opts_.min_speech_seconds || !sum_.defined()) {
      char msg[256];
      std::snprintf(msg, sizeof(msg), ": found %.2f s of speech in %.2f s of audio, need at least %.2f s", speech_,
                    r.seconds, opts_.min_speech_seconds);
      throw InvalidArgument(what + msg);
    }
    r.embedding = sum_ / sum_.norm();
    return r;
  }

 private:
  void flush() {
    Waveform piece{kRate, std::move(pending_)};
    pending_.clear();
    if (opts_.vad) piece = keep_speech(piece, detect_speech(piece));
    speech_ += piece.seconds();
    if (piece.samples.size() < kRate / 4) return;  // too short for even one meaningful window
    normalize_rms(piece, kEmbeddingLevelDbfs);
    const torch::Tensor partials = embed_partials(encoder_, piece);
    sum_ = sum_.defined() ? sum_ + partials.sum(0) : partials.sum(0);
    partials_ += static_cast<int>(partials.size(0));
  }

  SpeakerEncoder& encoder_;
  const EmbedOptions& opts_;
  std::vector<float> pending_;
  torch::Tensor sum_;
  double speech_ = 0;
  std::size_t total_ = 0, clipped_ = 0;
  int partials_ = 0;
};

void check(const EmbedOptions& o) {
  if (!(o.chunk_seconds >= 2.0)) throw InvalidArgument("embedding: chunk_seconds must be at least 2");
  if (!(o.min_speech_seconds >= 0)) throw InvalidArgument("embedding: min_speech_seconds must not be negative");
}

}  // namespace

VoiceEmbedding embed_file(SpeakerEncoder& encoder, const std::string& path, const EmbedOptions& opts) {
  check(opts);
  MonoReader reader(path);
  StreamResampler resampler(reader.info().rate, kRate);
  Accumulator acc(encoder, opts);
  const auto block = static_cast<std::size_t>(reader.info().rate * 10);
  for (std::vector<float> in; !(in = reader.read(block)).empty();) acc.add(resampler.process(in), false);
  acc.add(resampler.finish(), true);
  return acc.result(path);
}

VoiceEmbedding embed_wave(SpeakerEncoder& encoder, const Waveform& wave, const std::string& what, const EmbedOptions& opts) {
  check(opts);
  Accumulator acc(encoder, opts);
  Waveform w16 = resample(wave, kRate);
  const auto chunk = static_cast<std::size_t>(opts.chunk_seconds * kRate);
  for (std::size_t pos = 0; pos < w16.samples.size(); pos += chunk) {
    const std::size_t end = std::min(w16.samples.size(), pos + chunk);
    acc.add(std::vector<float>(w16.samples.begin() + static_cast<long>(pos), w16.samples.begin() + static_cast<long>(end)),
            end == w16.samples.size());
  }
  if (w16.samples.empty()) acc.add({}, true);
  return acc.result(what);
}

Waveform read_speech_16k(const std::string& path) {
  const Waveform w = resample(read_mono(path), kRate);
  return keep_speech(w, detect_speech(w));
}

double embedding_similarity(const torch::Tensor& a, const torch::Tensor& b) {
  return torch::cosine_similarity(a.flatten(), b.flatten(), 0).item<double>();
}

AveragedEmbedding average_embedding(SpeakerEncoder& encoder, const std::vector<std::string>& files, const EmbedOptions& opts) {
  if (files.empty()) throw InvalidArgument("no audio files to average a voice over");
  std::vector<VoiceEmbedding> each;
  for (const std::string& f : files) each.push_back(embed_file(encoder, f, opts));
  return average_embedding(each);
}

AveragedEmbedding average_embedding(const std::vector<VoiceEmbedding>& embeddings) {
  if (embeddings.empty()) throw InvalidArgument("no embeddings to average a voice over");
  AveragedEmbedding out;
  torch::Tensor sum;
  for (const VoiceEmbedding& e : embeddings) {
    sum = sum.defined() ? sum + e.embedding * e.speech_seconds : e.embedding * e.speech_seconds;
    out.speech_seconds += e.speech_seconds;
  }
  const torch::Tensor mean = (sum / sum.norm()).contiguous();
  out.embedding.assign(mean.data_ptr<float>(), mean.data_ptr<float>() + mean.numel());
  return out;
}

}  // namespace dubkit
