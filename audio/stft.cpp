#include "audio/stft.hpp"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <string>

#include "core/error.hpp"

namespace dubkit {

namespace {

// FFTW's planner is not thread-safe; execution of a finished plan on new arrays is.
std::mutex& planner_mutex() {
  static std::mutex m;
  return m;
}

struct FftwFree {
  void operator()(void* p) const { fftwf_free(p); }
};
template <class T>
using FftwBuffer = std::unique_ptr<T[], FftwFree>;

template <class T>
FftwBuffer<T> fftw_alloc(std::size_t n) {
  auto* p = static_cast<T*>(fftwf_malloc(sizeof(T) * n));
  if (!p) throw std::bad_alloc();
  return FftwBuffer<T>(p);
}

struct PlanDestroy {
  void operator()(fftwf_plan_s* p) const {
    std::lock_guard<std::mutex> lock(planner_mutex());
    fftwf_destroy_plan(p);
  }
};
using PlanPtr = std::unique_ptr<fftwf_plan_s, PlanDestroy>;

}  // namespace

struct Stft::Plans {
  PlanPtr r2c;
  PlanPtr c2r;
};

void StftConfig::validate() const {
  auto bad = [](const std::string& field, int v) {
    throw InvalidArgument("STFT config: " + field + " = " + std::to_string(v) + " is invalid");
  };
  if (n_fft < 2 || n_fft > (1 << 20)) bad("n_fft", n_fft);
  if (hop < 1) bad("hop", hop);
  if (win_length < 1 || win_length > n_fft) bad("win_length", win_length);
  if (pad < 0) bad("pad", pad);
}

Stft::Stft(const StftConfig& config) : config_(config), plans_(std::make_unique<Plans>()) {
  config_.validate();
  const int n = config_.n_fft, w = config_.win_length;
  window_.assign(n, 0.0f);
  const int offset = config_.window_centered ? (n - w) / 2 : 0;
  for (int i = 0; i < w; ++i) {
    // Computed in double, as the reference implementations do, then rounded once.
    const double v = config_.window == Window::Hann ? 0.5 - 0.5 * std::cos(2.0 * M_PI * i / w) : 1.0;
    window_[offset + i] = static_cast<float>(v);
  }
  auto real = fftw_alloc<float>(n);
  auto cplx = fftw_alloc<fftwf_complex>(config_.bins());
  std::lock_guard<std::mutex> lock(planner_mutex());
  plans_->r2c.reset(fftwf_plan_dft_r2c_1d(n, real.get(), cplx.get(), FFTW_MEASURE));
  plans_->c2r.reset(fftwf_plan_dft_c2r_1d(n, cplx.get(), real.get(), FFTW_MEASURE));
  if (!plans_->r2c || !plans_->c2r) throw Error("FFTW could not plan an FFT of size " + std::to_string(n));
}

Stft::~Stft() = default;

int Stft::frames(std::size_t n) const {
  const auto& c = config_;
  if (n == 0) throw InvalidArgument("STFT of an empty signal");
  if (c.pad_mode == Padding::Reflect && n <= static_cast<std::size_t>(c.pad))
    throw InvalidArgument("signal of " + std::to_string(n) + " samples is too short to reflect-pad by " +
                          std::to_string(c.pad));
  const long long len = static_cast<long long>(n) + 2LL * c.pad;
  if (c.cover_tail) {
    if (len <= c.win_length) return 1;
    return 1 + static_cast<int>((len - c.win_length + c.hop - 1) / c.hop);
  }
  if (len < c.n_fft)
    throw InvalidArgument("signal of " + std::to_string(n) + " samples is shorter than one " +
                          std::to_string(c.n_fft) + "-sample frame");
  return 1 + static_cast<int>((len - c.n_fft) / c.hop);
}

void Stft::load_frame(const float* x, std::size_t n, int t, float* buf) const {
  // Frame t starts at t*hop of the padded signal, i.e. at t*hop - pad of x. The padding is
  // virtual: only frames that overlap an edge map indices, the rest read x directly.
  const long long first = static_cast<long long>(t) * config_.hop - config_.pad;
  const long long len = config_.n_fft;
  const float* win = window_.data();
  if (first >= 0 && first + len <= static_cast<long long>(n)) {
    const float* src = x + first;
    for (long long i = 0; i < len; ++i) buf[i] = src[i] * win[i];
    return;
  }
  const long long size = static_cast<long long>(n), pad_end = size + config_.pad;
  for (long long i = 0; i < len; ++i) {
    long long j = first + i;
    float v = 0.0f;
    if (j >= 0 && j < size) {
      v = x[j];
    } else if (config_.pad_mode == Padding::Reflect && j >= -config_.pad && j < pad_end) {
      j = j < 0 ? -j : 2 * (size - 1) - j;  // mirror without repeating the edge sample
      v = x[j];
    }
    buf[i] = v * win[i];
  }
}

std::vector<std::complex<float>> Stft::forward(const float* x, std::size_t n) const {
  const int T = frames(n), bins = config_.bins();
  auto real = fftw_alloc<float>(config_.n_fft);
  std::vector<std::complex<float>> out(static_cast<std::size_t>(T) * bins);
  auto cplx = fftw_alloc<fftwf_complex>(bins);
  for (int t = 0; t < T; ++t) {
    load_frame(x, n, t, real.get());
    fftwf_execute_dft_r2c(plans_->r2c.get(), real.get(), cplx.get());
    for (int k = 0; k < bins; ++k) out[static_cast<std::size_t>(t) * bins + k] = {cplx[k][0], cplx[k][1]};
  }
  return out;
}

void Stft::for_each_power(const float* x, std::size_t n,
                          const std::function<void(int, const float*)>& sink) const {
  const int T = frames(n), bins = config_.bins();
  auto real = fftw_alloc<float>(config_.n_fft);
  auto cplx = fftw_alloc<fftwf_complex>(bins);
  std::vector<float> power(bins);
  for (int t = 0; t < T; ++t) {
    load_frame(x, n, t, real.get());
    fftwf_execute_dft_r2c(plans_->r2c.get(), real.get(), cplx.get());
    for (int k = 0; k < bins; ++k) power[k] = cplx[k][0] * cplx[k][0] + cplx[k][1] * cplx[k][1];
    sink(t, power.data());
  }
}

std::vector<float> Stft::inverse(const std::complex<float>* spec, int frames, std::size_t length) const {
  if (frames <= 0) throw InvalidArgument("inverse STFT of zero frames");
  const int n = config_.n_fft, bins = config_.bins();
  const std::size_t total = static_cast<std::size_t>(frames - 1) * config_.hop + n;
  std::vector<double> acc(total, 0.0), wss(total, 0.0);
  auto real = fftw_alloc<float>(n);
  auto cplx = fftw_alloc<fftwf_complex>(bins);
  for (int t = 0; t < frames; ++t) {
    for (int k = 0; k < bins; ++k) {
      cplx[k][0] = spec[static_cast<std::size_t>(t) * bins + k].real();
      cplx[k][1] = spec[static_cast<std::size_t>(t) * bins + k].imag();
    }
    fftwf_execute_dft_c2r(plans_->c2r.get(), cplx.get(), real.get());
    const std::size_t start = static_cast<std::size_t>(t) * config_.hop;
    for (int i = 0; i < n; ++i) {
      acc[start + i] += double(real[i]) / n * window_[i];
      wss[start + i] += double(window_[i]) * window_[i];
    }
  }
  std::vector<float> out(length, 0.0f);
  const std::size_t p = static_cast<std::size_t>(config_.pad);
  for (std::size_t i = 0; i < length && p + i < total; ++i) {
    const double w = wss[p + i];
    out[i] = static_cast<float>(w > std::numeric_limits<float>::min() ? acc[p + i] / w : acc[p + i]);
  }
  return out;
}

}  // namespace dubkit
