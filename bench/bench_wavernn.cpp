// WaveRNN vocoder speed (the SV2TTS-size model, random seeded weights: the arithmetic of the
// released checkpoint). Run:
//   OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 build/bench/dubkit_bench_wavernn
//     --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
// Generate/<frames>/<fold>: WaveRNNImpl::generate (the plain-buffer CBLAS kernel) on `frames`
//   mel frames (80 = 1 s), folded (target 8000, overlap 400) or not.
// TorchOps/<frames>: the public generate()'s loop in LibTorch ops (GRUCell and Linear calls per
//   sample, unfolded) on a short input: the baseline.
// "samples/s" counts output samples; the ratios at the end compare medians of the same run.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cstdio>
#include <map>

#include "vocoder/wavernn.hpp"

using namespace dubkit;

namespace {

WaveRNN& model() {
  static WaveRNN m = [] {
    torch::manual_seed(0);
    WaveRNN w{WaveRNNConfig{}};
    w->eval();
    return w;
  }();
  return m;
}

FeatureMatrix mel(int frames) {
  torch::manual_seed(1);
  const torch::Tensor t = torch::rand({80, frames}) * 8 - 4;
  FeatureMatrix m(80, frames);
  std::copy(t.data_ptr<float>(), t.data_ptr<float>() + t.numel(), m.data.begin());
  return m;
}

void BM_Generate(benchmark::State& state) {
  const int frames = static_cast<int>(state.range(0));
  WaveRNNOptions o;
  o.batched = state.range(1) == 1;
  o.seed = 7;
  const FeatureMatrix m = mel(frames);
  for (auto _ : state) benchmark::DoNotOptimize(model()->generate(m, o));
  state.counters["samples/s"] =
      benchmark::Counter((frames - 1) * 200.0, benchmark::Counter::kIsIterationInvariantRate);
}

// The public loop, op for op (no fold): what per-sample LibTorch dispatch costs.
std::vector<float> generate_torch_ops(WaveRNNImpl& w, const FeatureMatrix& mel) {
  namespace nn = torch::nn;
  torch::NoGradGuard no_grad;
  const WaveRNNConfig& c = w.config();
  const int H = c.rnn_dims, A = c.aux_dims(), C = c.n_classes();
  torch::Tensor m = torch::from_blob(const_cast<float*>(mel.data.data()), {1, mel.rows, mel.cols}).clone() /
                    c.mel_max_abs;
  m = nn::functional::pad(m, nn::functional::PadFuncOptions({c.pad, c.pad}));
  auto [mels, aux] = w.upsample(m);
  auto cell = [](nn::GRU& gru, int in, int hidden) {
    nn::GRUCell cell(nn::GRUCellOptions(in, hidden));
    auto p = gru->named_parameters();
    cell->weight_ih.copy_(p["weight_ih_l0"]);
    cell->weight_hh.copy_(p["weight_hh_l0"]);
    cell->bias_ih.copy_(p["bias_ih_l0"]);
    cell->bias_hh.copy_(p["bias_hh_l0"]);
    return cell;
  };
  nn::GRUCell rnn1 = cell(w.rnn1, H, H), rnn2 = cell(w.rnn2, H + A, H);
  torch::Tensor h1 = torch::zeros({1, H}), h2 = torch::zeros({1, H}), x = torch::zeros({1, 1});
  std::vector<float> out;
  for (long i = 0; i < mels.size(1); ++i) {
    const torch::Tensor m_t = mels.select(1, i), a_t = aux.select(1, i);
    auto a = [&](int k) { return a_t.slice(1, k * A, (k + 1) * A); };
    x = w.I(torch::cat({x, m_t, a(0)}, 1));
    h1 = rnn1(x, h1);
    x = x + h1;
    h2 = rnn2(torch::cat({x, a(1)}, 1), h2);
    x = x + h2;
    x = torch::relu(w.fc1(torch::cat({x, a(2)}, 1)));
    x = torch::relu(w.fc2(torch::cat({x, a(3)}, 1)));
    const torch::Tensor posterior = torch::softmax(w.fc3(x), 1);
    x = torch::multinomial(posterior, 1).to(torch::kFloat) * (2.0 / (C - 1)) - 1;
    out.push_back(x.item<float>());
  }
  return out;
}

void BM_TorchOps(benchmark::State& state) {
  const FeatureMatrix m = mel(static_cast<int>(state.range(0)));
  torch::manual_seed(7);
  for (auto _ : state) benchmark::DoNotOptimize(generate_torch_ops(*model(), m));
  state.counters["samples/s"] =
      benchmark::Counter((state.range(0) - 1) * 200.0, benchmark::Counter::kIsIterationInvariantRate);
}

// Keeps each benchmark's median samples/s, then prints the ratios.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs)
      if ((r.run_type != Run::RT_Aggregate || r.aggregate_name == "median") && r.counters.count("samples/s"))
        rate_[r.run_name.function_name + "/" + r.run_name.args] = r.counters.at("samples/s").value;
    ConsoleReporter::ReportRuns(runs);
  }
  void PrintRatios() const {
    const auto base = rate_.find("BM_TorchOps/20");
    if (base == rate_.end()) return;
    std::printf("\n%-22s %12s %14s\n", "run", "samples/s", "x LibTorch ops");
    for (const auto& [name, rate] : rate_)
      std::printf("%-22s %12.0f %14.2f\n", name.c_str(), rate, rate / base->second);
  }

 private:
  std::map<std::string, double> rate_;
};

}  // namespace

// Args: mel frames (80 = 1 s), fold on/off.
BENCHMARK(BM_Generate)->Args({80, 1})->Args({80, 0})->Args({320, 1})->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK(BM_TorchOps)->Arg(20)->Unit(benchmark::kSecond)->Iterations(1);

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios();
  benchmark::Shutdown();
  return 0;
}
