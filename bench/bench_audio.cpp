// Log-mel throughput of every preset on a 60 s signal through dubkit's FFTW path, next to the
// same features computed with torch::stft in the same run; Griffin-Lim (32 iterations)
// real-time factor. Both mel paths run on one thread, so "x real time" is per core.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "audio/mel_preset.hpp"
#include "bench/signals.hpp"
#include "vocoder/griffin_lim.hpp"

using namespace dubkit;
using bench::noisy_tone;

namespace {

constexpr double kSeconds = 60.0;

// The n_fft-long analysis window of a preset, as dubkit's STFT places it.
torch::Tensor preset_window(const StftConfig& c) {
  torch::Tensor w = torch::zeros({c.n_fft});
  const int offset = c.window_centered ? (c.n_fft - c.win_length) / 2 : 0;
  torch::Tensor inner = c.window == Window::Hann ? torch::hann_window(c.win_length) : torch::ones({c.win_length});
  w.narrow(0, offset, c.win_length).copy_(inner);
  return w;
}

// The preset's features through torch ops: pre-emphasis, padding, torch::stft, filterbank
// matmul, scale. The baseline a LibTorch user would write.
torch::Tensor torch_features(const MelPreset& p, const torch::Tensor& x, const torch::Tensor& window,
                             const torch::Tensor& filters, const torch::Tensor& dct) {
  const StftConfig& c = p.stft;
  torch::Tensor y = x * p.input_gain;
  if (p.preemphasis > 0) y = torch::cat({y.narrow(0, 0, 1), y.narrow(0, 1, y.size(0) - 1) - p.preemphasis * y.narrow(0, 0, y.size(0) - 1)});
  y = y.view({1, 1, -1});
  if (c.pad > 0) {
    torch::nn::functional::PadFuncOptions::mode_t mode = torch::kConstant;
    if (c.pad_mode == Padding::Reflect) mode = torch::kReflect;
    y = torch::nn::functional::pad(y, torch::nn::functional::PadFuncOptions({c.pad, c.pad}).mode(mode));
  }
  if (c.cover_tail) {
    const int64_t len = y.size(2);
    const int64_t frames = len <= c.win_length ? 1 : 1 + (len - c.win_length + c.hop - 1) / c.hop;
    y = torch::nn::functional::pad(y, torch::nn::functional::PadFuncOptions({0, (frames - 1) * c.hop + c.n_fft - len}));
  }
  torch::Tensor spec = torch::stft(y.view({-1}), c.n_fft, c.hop, c.n_fft, window, /*normalized=*/false,
                                   /*onesided=*/true, /*return_complex=*/true);
  torch::Tensor pw = spec.abs().pow(2) * p.spectrum_scale;
  torch::Tensor s = p.power == 2.0 ? pw : (pw + p.magnitude_eps).sqrt();
  torch::Tensor mel = torch::mm(filters, s);
  switch (p.scale) {
    case FeatureScale::Linear: return mel;
    case FeatureScale::LnClamp: return mel.clamp_min(p.ln_clamp).log();
    case FeatureScale::DbSymmetric: {
      torch::Tensor db = 20.0 * mel.clamp_min(std::pow(10.0, p.min_level_db / 20.0)).log10() - p.ref_level_db;
      return (2.0 * p.max_abs * (db - p.min_level_db) / -p.min_level_db - p.max_abs).clamp(-p.max_abs, p.max_abs);
    }
    case FeatureScale::Mfcc: {
      torch::Tensor cep = torch::mm(dct, mel.clamp_min(1e-30).log());
      torch::Tensor lift = 1.0 + p.lifter / 2.0 * torch::sin(M_PI * torch::arange(p.n_cepstra, torch::kFloat) / p.lifter);
      cep = cep * lift.unsqueeze(1);
      cep[0] = pw.sum(0).clamp_min(1e-30).log();
      return cep;
    }
  }
  return mel;
}

torch::Tensor to_tensor(const FeatureMatrix& m) {
  return torch::from_blob(const_cast<float*>(m.data.data()), {m.rows, m.cols}, torch::kFloat).clone();
}

void BM_MelFftw(benchmark::State& state, const std::string& name) {
  const MelAnalyzer analyzer(mel_preset(name));
  const Waveform w = noisy_tone(analyzer.preset().sample_rate, kSeconds);
  for (auto _ : state) benchmark::DoNotOptimize(analyzer.compute(w));
  state.counters["x_realtime"] = benchmark::Counter(kSeconds, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_MelTorchStft(benchmark::State& state, const std::string& name) {
  torch::set_num_threads(1);
  torch::NoGradGuard no_grad;
  const MelPreset& p = mel_preset(name);
  const Waveform w = noisy_tone(p.sample_rate, kSeconds);
  const torch::Tensor x = torch::from_blob(const_cast<float*>(w.samples.data()), {(int64_t)w.samples.size()}).clone();
  const FeatureMatrix fb = p.integer_bin_filters
      ? speech_features_filterbank(p.filters.n_mels, p.filters.n_fft, p.sample_rate, p.filters.fmin, p.filters.fmax)
      : mel_filterbank(p.filters);
  const torch::Tensor filters = to_tensor(fb), window = preset_window(p.stft);
  const torch::Tensor dct = p.scale == FeatureScale::Mfcc ? to_tensor(dct2_ortho(p.n_cepstra, p.filters.n_mels)) : torch::Tensor();
  for (auto _ : state) benchmark::DoNotOptimize(torch_features(p, x, window, filters, dct));
  state.counters["x_realtime"] = benchmark::Counter(kSeconds, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_GriffinLim32(benchmark::State& state, const std::string& name) {
  const MelAnalyzer analyzer(mel_preset(name));
  constexpr double kAudio = 5.0;
  const FeatureMatrix mel = analyzer.compute(noisy_tone(analyzer.preset().sample_rate, kAudio));
  GriffinLimConfig cfg;
  cfg.iterations = 32;
  for (auto _ : state) benchmark::DoNotOptimize(griffin_lim_from_features(mel, analyzer, cfg));
  state.counters["audio_s"] = kAudio;
}

// Keeps each run's real time, then prints the ratios a reader needs.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs)
      if (r.run_type == Run::RT_Aggregate ? r.aggregate_name == "median" : !r.report_big_o)
        seconds_[r.run_name.function_name] = r.GetAdjustedRealTime() / benchmark::GetTimeUnitMultiplier(r.time_unit);
    ConsoleReporter::ReportRuns(runs);
  }
  void PrintRatios() const {
    std::printf("\n%-14s %12s %12s %10s %14s\n", "preset", "fftw ms", "torch ms", "torch/fftw", "fftw x realtime");
    for (const MelPreset& p : mel_presets()) {
      const auto f = seconds_.find("MelFftw/" + p.name), t = seconds_.find("MelTorchStft/" + p.name);
      if (f == seconds_.end() || t == seconds_.end()) continue;
      std::printf("%-14s %12.2f %12.2f %10.2f %14.0f\n", p.name.c_str(), f->second * 1e3, t->second * 1e3,
                  t->second / f->second, kSeconds / f->second);
    }
    for (const auto& [name, s] : seconds_)
      if (name.rfind("GriffinLim32/", 0) == 0)
        std::printf("%-28s real-time factor %.3f (5 s of audio)\n", name.c_str(), s / 5.0);
  }

 private:
  std::map<std::string, double> seconds_;
};

}  // namespace

int main(int argc, char** argv) {
  for (const MelPreset& p : mel_presets()) {
    benchmark::RegisterBenchmark(("MelFftw/" + p.name).c_str(), BM_MelFftw, p.name)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("MelTorchStft/" + p.name).c_str(), BM_MelTorchStft, p.name)->Unit(benchmark::kMillisecond);
  }
  for (const char* name : {"wav2lip-16k", "hifigan-22k"})
    benchmark::RegisterBenchmark((std::string("GriffinLim32/") + name).c_str(), BM_GriffinLim32, std::string(name))
        ->Unit(benchmark::kMillisecond);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios();
  benchmark::Shutdown();
  return 0;
}
