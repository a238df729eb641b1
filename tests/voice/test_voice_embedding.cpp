// Embeddings of recordings as users hand them over, with the public SV2TTS encoder (a real
// trained model, ../shared/fixtures/reference/rtvc_encoder.pt) so that "sensible" can be
// checked as similarity to the clean recording's embedding.
#include <catch2/catch.hpp>

#include "audio/io.hpp"
#include "audio/resample.hpp"
#include "core/error.hpp"
#include "support.hpp"
#include "voice/voice_embedding.hpp"

using namespace dubkit;

namespace {

SpeakerEncoder& reference() {
  static LoadedEncoder enc = load_speaker_encoder(test::fixture("rtvc_encoder.pt"));
  return enc.model;
}

// The flite-made sample (synthetic voice) at 16 kHz, and its clean embedding.
const Waveform& sample() {
  static const Waveform w = resample(read_mono(std::string(DUBKIT_SAMPLES_DIR) + "/sample.wav"), 16000);
  return w;
}

const torch::Tensor& clean() {
  static const torch::Tensor e = embed_wave(reference(), sample(), "sample").embedding;
  return e;
}

std::string write_temp(const std::string& name, const AudioData& a) {
  const std::string path = test::temp_dir("embed") + "/" + name;
  write_audio(path, a, SampleFormat::Float32);
  return path;
}

AudioData mono_data(const Waveform& w) {
  AudioData a;
  a.info.rate = w.rate;
  a.info.channels = 1;
  a.info.frames = static_cast<long long>(w.samples.size());
  a.interleaved = w.samples;
  return a;
}

}  // namespace

TEST_CASE("silence only: a clear error saying how much speech was found and needed", "[voice][bad-input]") {
  const Waveform silence{16000, std::vector<float>(16000 * 5, 0.0f)};
  CHECK_THROWS_WITH(embed_wave(reference(), silence, "quiet.wav"),
                    Catch::Contains("quiet.wav") && Catch::Contains("found 0.00 s of speech") &&
                        Catch::Contains("need at least 1.00 s"));
  // Low noise is not speech either.
  Waveform hiss{16000, std::vector<float>(16000 * 5)};
  std::uint32_t s = 1;
  for (float& x : hiss.samples) x = 1e-4f * (static_cast<float>((s = s * 1664525u + 1013904223u) >> 8) / 16777216.0f - 0.5f);
  CHECK_THROWS_AS(embed_wave(reference(), hiss, "hiss.wav"), InvalidArgument);
  // Too short: half a second of speech.
  const Waveform short_clip{16000, std::vector<float>(sample().samples.begin() + 16000, sample().samples.begin() + 24000)};
  CHECK_THROWS_WITH(embed_wave(reference(), short_clip, "short.wav"), Catch::Contains("need at least 1.00 s"));
}

TEST_CASE("VAD: leading silence and pauses do not change the voice", "[voice]") {
  Waveform padded{16000, std::vector<float>(16000 * 3, 0.0f)};
  padded.samples.insert(padded.samples.end(), sample().samples.begin(), sample().samples.end());
  padded.samples.insert(padded.samples.end(), 16000 * 4, 0.0f);
  const VoiceEmbedding e = embed_wave(reference(), padded, "padded");
  CHECK(e.seconds == Approx(7.0 + sample().seconds()).margin(0.01));
  CHECK(e.speech_seconds < sample().seconds() + 0.2);
  CHECK(embedding_similarity(e.embedding, clean()) > 0.99);
}

TEST_CASE("clipped audio is embedded, reported, and stays close to the clean voice", "[voice][bad-input]") {
  Waveform clipped = sample();
  for (float& x : clipped.samples) x = std::clamp(x * 8.0f, -1.0f, 1.0f);  // +18 dB into the rails
  const VoiceEmbedding e = embed_wave(reference(), clipped, "clipped");
  CHECK(e.clipped_fraction > 0.05);
  CHECK(embedding_similarity(e.embedding, clean()) > 0.85);
}

TEST_CASE("8 kHz, 96 kHz and stereo files give the same voice", "[voice][bad-input]") {
  const std::string p8 = write_temp("s8k.wav", mono_data(resample(sample(), 8000)));
  const std::string p96 = write_temp("s96k.wav", mono_data(resample(sample(), 96000)));
  // Stereo: the voice on the left, a quieter copy on the right.
  AudioData stereo;
  stereo.info.rate = 16000;
  stereo.info.channels = 2;
  for (float x : sample().samples) {
    stereo.interleaved.push_back(x);
    stereo.interleaved.push_back(0.5f * x);
  }
  stereo.info.frames = static_cast<long long>(sample().samples.size());
  const std::string p2 = write_temp("stereo.wav", stereo);
  const VoiceEmbedding e96 = embed_file(reference(), p96), e2 = embed_file(reference(), p2);
  const VoiceEmbedding e8 = embed_file(reference(), p8);
  CHECK(embedding_similarity(e96.embedding, clean()) > 0.99);
  CHECK(embedding_similarity(e2.embedding, clean()) > 0.99);
  // Telephone band: the upper half of the mel range is gone, the voice is still recognisable.
  CHECK(embedding_similarity(e8.embedding, clean()) > 0.75);
  CHECK(e8.seconds == Approx(sample().seconds()).margin(0.01));
}

TEST_CASE("a long file is read and embedded in pieces", "[voice][bad-input]") {
  // 12 minutes: twelve 60 s pieces; the file is never held whole.
  AudioData a;
  a.info.rate = 16000;
  a.info.channels = 1;
  while (a.interleaved.size() < 16000u * 720) a.interleaved.insert(a.interleaved.end(), sample().samples.begin(), sample().samples.end());
  a.info.frames = static_cast<long long>(a.interleaved.size());
  const std::string path = write_temp("long.wav", a);
  const VoiceEmbedding e = embed_file(reference(), path);
  CHECK(e.seconds == Approx(a.interleaved.size() / 16000.0).margin(0.01));
  CHECK(e.partials > 400);
  CHECK(embedding_similarity(e.embedding, clean()) > 0.97);
}
