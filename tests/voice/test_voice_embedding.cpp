// Embeddings of recordings as users hand them over, with dubkit's default encoder
// (models/speaker_encoder.safetensors, trained on synthetic voices): "sensible" means still
// judged the same speaker as the clean recording at the model's calibrated threshold, and
// closer to it than another voice is.
#include <catch2/catch.hpp>

#include "audio/io.hpp"
#include "audio/resample.hpp"
#include "core/error.hpp"
#include "corpus/engines.hpp"
#include "support.hpp"
#include "voice/voice_embedding.hpp"

using namespace dubkit;

namespace {

LoadedEncoder& encoder() {
  static LoadedEncoder enc = load_speaker_encoder(DUBKIT_MODELS_DIR "/speaker_encoder.safetensors");
  return enc;
}
SpeakerEncoder& model() { return encoder().model; }

// The flite-made sample (synthetic voice) at 16 kHz, and its clean embedding.
const Waveform& sample() {
  static const Waveform w = resample(read_mono(std::string(DUBKIT_SAMPLES_DIR) + "/sample.wav"), 16000);
  return w;
}

const torch::Tensor& clean() {
  static const torch::Tensor e = embed_wave(model(), sample(), "sample").embedding;
  return e;
}

// How close another speaker comes: an espeak-ng voice reading the sample's sentence.
double other_speaker_similarity() {
  static const double s = [] {
    const BaseVoice other{"espeak-en-m3", "espeak", "en-us+m3", "en"};
    const SpokenUtterance u = speak(other,
                                    "Welcome to dubkit. This line was spoken by a synthetic voice, so every example "
                                    "here can be rerun without recording a real person.",
                                    1);
    return embedding_similarity(embed_wave(model(), u.wave, "other").embedding, clean());
  }();
  return s;
}

// `e` is judged the sample's speaker and is closer to it than the other speaker is.
void check_same_voice(const torch::Tensor& e) {
  const double s = embedding_similarity(e, clean());
  CAPTURE(s, encoder().threshold, other_speaker_similarity());
  CHECK(s >= encoder().threshold);
  CHECK(s > other_speaker_similarity() + 0.1);
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
  CHECK_THROWS_WITH(embed_wave(model(), silence, "quiet.wav"),
                    Catch::Contains("quiet.wav") && Catch::Contains("found 0.00 s of speech") &&
                        Catch::Contains("need at least 1.00 s"));
  // Low noise is not speech either.
  Waveform hiss{16000, std::vector<float>(16000 * 5)};
  std::uint32_t s = 1;
  for (float& x : hiss.samples) x = 1e-4f * (static_cast<float>((s = s * 1664525u + 1013904223u) >> 8) / 16777216.0f - 0.5f);
  CHECK_THROWS_AS(embed_wave(model(), hiss, "hiss.wav"), InvalidArgument);
  // Too short: half a second of speech.
  const Waveform short_clip{16000, std::vector<float>(sample().samples.begin() + 16000, sample().samples.begin() + 24000)};
  CHECK_THROWS_WITH(embed_wave(model(), short_clip, "short.wav"), Catch::Contains("need at least 1.00 s"));
}

TEST_CASE("VAD: leading silence and pauses do not change the voice", "[voice]") {
  Waveform padded{16000, std::vector<float>(16000 * 3, 0.0f)};
  padded.samples.insert(padded.samples.end(), sample().samples.begin(), sample().samples.end());
  padded.samples.insert(padded.samples.end(), 16000 * 4, 0.0f);
  const VoiceEmbedding e = embed_wave(model(), padded, "padded");
  CHECK(e.seconds == Approx(7.0 + sample().seconds()).margin(0.01));
  CHECK(e.speech_seconds < sample().seconds() + 0.2);
  CHECK(embedding_similarity(e.embedding, clean()) > 0.99);
}

TEST_CASE("the default encoder tells another speaker apart", "[voice]") {
  REQUIRE(!std::isnan(encoder().threshold));
  CHECK(other_speaker_similarity() < encoder().threshold);
}

TEST_CASE("clipped audio is embedded, reported, and stays close to the clean voice", "[voice][bad-input]") {
  Waveform clipped = sample();
  for (float& x : clipped.samples) x = std::clamp(x * 8.0f, -1.0f, 1.0f);  // +18 dB into the rails
  const VoiceEmbedding e = embed_wave(model(), clipped, "clipped");
  CHECK(e.clipped_fraction > 0.05);
  check_same_voice(e.embedding);
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
  const VoiceEmbedding e96 = embed_file(model(), p96), e2 = embed_file(model(), p2);
  const VoiceEmbedding e8 = embed_file(model(), p8);
  CHECK(embedding_similarity(e96.embedding, clean()) > 0.99);
  CHECK(embedding_similarity(e2.embedding, clean()) > 0.99);
  // Telephone band: the upper half of the mel range is gone, the voice is still recognisable.
  check_same_voice(e8.embedding);
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
  const VoiceEmbedding e = embed_file(model(), path);
  CHECK(e.seconds == Approx(a.interleaved.size() / 16000.0).margin(0.01));
  CHECK(e.partials > 400);
  check_same_voice(e.embedding);
  CHECK(embedding_similarity(e.embedding, clean()) > 0.97);
}
