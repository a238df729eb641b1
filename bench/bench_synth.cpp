// Synthesizer cost. Run:
//   build/bench/dubkit_bench_synth --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
// BM_SynthesizerMel: text already planned -> mel (decoder + postnet) for a 20-word sentence,
//   the default model and, as the baseline, the same architecture at the GPU-sized config of
//   `dubkit train synth --help` (random weights: the arithmetic of a trained model that size).
//   "x_real_time" is seconds of speech per second of compute (1 / real-time factor).
// BM_SayFirstAudio: wall time from calling say() (front end, durations, decoder, the default
//   vocoder on the first sentence) to the first audio of a 20-word sentence followed by another.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <filesystem>

#include "audio/io.hpp"
#include "synth/synthesizer.hpp"
#include "synth/tts.hpp"
#include "voice/voice_embedding.hpp"

using namespace dubkit;

namespace {

const std::string kModels = DUBKIT_MODELS_DIR;
const std::string kSentence =
    "The old man walked slowly along the quiet river bank while the children played happily in the warm evening sun.";

const std::vector<float>& voice() {
  static const std::vector<float> v = [] {
    LoadedEncoder enc = load_speaker_encoder(kModels + "/speaker_encoder.safetensors");
    const torch::Tensor e = embed_file(enc.model, DUBKIT_SAMPLES_DIR "/sample.wav").embedding.contiguous();
    return std::vector<float>(e.data_ptr<float>(), e.data_ptr<float>() + e.numel());
  }();
  return v;
}

// The default model's file, or (large) a random model of the GPU-sized config with the same
// symbols and languages.
std::string model_file(bool large) {
  const std::string path = kModels + "/synthesizer.safetensors";
  if (!large) return path;
  const std::string out = std::filesystem::temp_directory_path().string() + "/dubkit_bench_synth_large.safetensors";
  LoadedSynthesizer base = load_synthesizer(path);
  SynthesizerConfig c = base.model->config();
  c.symbol_dim = 512;
  c.encoder_lstm = 256;
  c.decoder_lstm = 1024;
  c.prenet = 256;
  c.postnet_channels = 512;
  Synthesizer m(c);
  save_synthesizer(out, m, base.symbols, base.languages, {});
  return out;
}

void BM_SynthesizerMel(benchmark::State& state) {
  const bool large = state.range(0) == 1;
  torch::set_num_threads(2);
  TextToSpeech tts(model_file(large));
  SayOptions o;
  const SentencePlan plan = tts.plan(kSentence, voice(), o).front();
  for (auto _ : state) benchmark::DoNotOptimize(tts.mel(plan, voice(), o, 0));
  state.counters["x_real_time"] = benchmark::Counter(plan.durations.seconds, benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(large ? "GPU-sized config (baseline)" : "default model");
}

void BM_SayFirstAudio(benchmark::State& state) {
  torch::set_num_threads(2);
  TextToSpeech tts(model_file(false));
  const auto vocoder = open_vocoder(std::string(DUBKIT_MODELS_DIR) + "/vocoder.safetensors");
  SayOptions o;
  for (auto _ : state) {
    const SayReport r = tts.say(kSentence + " Then they all went home.", voice(), o, *vocoder, [](const Waveform&) {});
    state.SetIterationTime(r.first_audio_seconds);
  }
}

}  // namespace

BENCHMARK(BM_SynthesizerMel)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SayFirstAudio)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
