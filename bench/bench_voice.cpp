// Speaker-embedding cost for a 10 s utterance through the path users take (embed_wave:
// VAD, ge2e-40 mels, partial windows, encoder), for dubkit's default encoder size (hidden
// 128) and SV2TTS's (hidden 256) as the baseline, at 1 and 2 threads. Weights are random:
// the arithmetic is that of a trained model of the same shape.
// Run: build/bench/dubkit_bench_voice --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "audio/io.hpp"
#include "audio/resample.hpp"
#include "voice/voice_embedding.hpp"

using namespace dubkit;

namespace {

// 10 s of the synthetic sample voice (repeated), at 16 kHz.
const Waveform& ten_seconds() {
  static const Waveform w = [] {
    const Waveform s = resample(read_mono(DUBKIT_SAMPLES_DIR "/sample.wav"), 16000);
    Waveform out{16000, {}};
    while (out.samples.size() < 160000) out.samples.insert(out.samples.end(), s.samples.begin(), s.samples.end());
    out.samples.resize(160000);
    return out;
  }();
  return w;
}

void BM_Embed10s(benchmark::State& state) {
  const int hidden = static_cast<int>(state.range(0)), threads = static_cast<int>(state.range(1));
  torch::set_num_threads(threads);
  torch::NoGradGuard no_grad;
  SpeakerEncoder enc(SpeakerEncoderConfig{40, hidden, 3, 256});
  enc->eval();
  for (auto _ : state) benchmark::DoNotOptimize(embed_wave(enc, ten_seconds(), "bench").embedding);
  state.SetLabel(std::string(hidden == 256 ? "SV2TTS size" : "dubkit default") + ", " + std::to_string(threads) + " thread(s)");
}

}  // namespace

BENCHMARK(BM_Embed10s)->ArgNames({"hidden", "threads"})->Args({128, 1})->Args({128, 2})->Args({256, 1})->Args({256, 2})
    ->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
