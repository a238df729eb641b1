// Speaker-encoder cost: the embedding of a 10 s utterance (SV2TTS partial windows), with a
// randomly initialised GE2E encoder (the same arithmetic as a trained one), at LibTorch's
// default thread count.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cmath>

#include "voice/speaker_encoder.hpp"

using namespace dubkit;

static void BM_EmbedUtterance10s(benchmark::State& state) {
  torch::NoGradGuard no_grad;
  SpeakerEncoder enc;
  enc->eval();
  Waveform w{16000, std::vector<float>(160000)};
  for (std::size_t i = 0; i < w.samples.size(); ++i) w.samples[i] = 0.3f * std::sin(0.05f * i) * std::sin(3e-4f * i);
  for (auto _ : state) benchmark::DoNotOptimize(embed_utterance(enc, w));
}
BENCHMARK(BM_EmbedUtterance10s)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
