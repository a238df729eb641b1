// Vocoder speed on 2 cores, same input, same run: the default vocoder (models/vocoder.safetensors)
// and Griffin-Lim (32 iterations, say's setting) on 5 s of wav2lip-16k mel; HiFi-GAN V1 (public
// architecture, random weights: speed does not depend on them) on 2 s of hifigan-22k mel, the
// same module run the way dubkit runs it (InferenceMode: no autograd bookkeeping, weight norm
// already folded at load as for every dubkit HiFi-GAN) and the way a plain LibTorch call runs
// (autograd recording the graph). Ratios are printed at the end.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <map>

#include "audio/mel_preset.hpp"
#include "bench/signals.hpp"
#include "vocoder/hifigan.hpp"
#include "vocoder/vocoder.hpp"

using namespace dubkit;
using bench::noisy_tone;

namespace {

constexpr double kSeconds = 5.0;      // wav2lip-16k vocoders
constexpr double kHifiSeconds = 2.0;  // HiFi-GAN V1 (22050 Hz) is ~100x the work per second

void BM_Vocoder(benchmark::State& state, const std::string& spec) {
  torch::set_num_threads(2);
  const auto v = open_vocoder(spec, 32);
  const FeatureMatrix mel = v->analyzer().compute(noisy_tone(v->preset().sample_rate, kSeconds));
  for (auto _ : state) benchmark::DoNotOptimize(v->vocode(mel));
  state.counters["audio_s"] = kSeconds;
}

void BM_HifiGanV1(benchmark::State& state) {
  const bool dubkit_path = state.range(0) == 0;
  torch::set_num_threads(2);
  torch::manual_seed(1);
  HifiGanGenerator g(HifiGanConfig::named("v1"));
  g->eval();
  const MelAnalyzer analyzer(mel_preset("hifigan-22k"));
  const FeatureMatrix m = analyzer.compute(noisy_tone(22050, kHifiSeconds));
  const torch::Tensor mel = torch::from_blob(const_cast<float*>(m.data.data()), {1, m.rows, m.cols}, torch::kFloat).clone();
  for (auto _ : state) {
    if (dubkit_path) {
      torch::InferenceMode guard;
      benchmark::DoNotOptimize(g->forward(mel));
    } else {
      benchmark::DoNotOptimize(g->forward(mel));
    }
  }
  state.SetLabel(dubkit_path ? "dubkit (folded, InferenceMode)" : "LibTorch default call (autograd on)");
}

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs)
      if (r.run_type == Run::RT_Aggregate ? r.aggregate_name == "median" : !r.report_big_o)
        seconds_[r.benchmark_name().substr(0, r.benchmark_name().find("_median"))] =
            r.GetAdjustedRealTime() / benchmark::GetTimeUnitMultiplier(r.time_unit);
    ConsoleReporter::ReportRuns(runs);
  }
  void PrintRatios() const {
    std::printf("\n");
    for (const auto& [name, s] : seconds_) {
      const double audio = name.rfind("HifiGanV1", 0) == 0 ? kHifiSeconds : kSeconds;
      std::printf("%-32s real-time factor %.4f\n", name.c_str(), s / audio);
    }
    const auto a = seconds_.find("HifiGanV1/0"), b = seconds_.find("HifiGanV1/1");
    if (a != seconds_.end() && b != seconds_.end())
      std::printf("HiFi-GAN V1: LibTorch default call / dubkit = %.2f\n", b->second / a->second);
    const auto d = seconds_.find("Vocoder/default"), gl = seconds_.find("Vocoder/griffinlim");
    if (d != seconds_.end() && gl != seconds_.end())
      std::printf("Griffin-Lim / default vocoder = %.1f\n", gl->second / d->second);
  }

 private:
  std::map<std::string, double> seconds_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::RegisterBenchmark("Vocoder/default", BM_Vocoder, std::string(DUBKIT_MODELS_DIR) + "/vocoder.safetensors")
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("Vocoder/griffinlim", BM_Vocoder, std::string("griffinlim"))->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("HifiGanV1", BM_HifiGanV1)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios();
  benchmark::Shutdown();
  return 0;
}
