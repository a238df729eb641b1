// Short-time Fourier transform on FFTW (single precision).
//
// One framing model covers the public conventions: the signal is padded by `pad` samples on
// both sides (zeros or reflection), frame t covers n_fft samples from t*hop of the padded
// signal (zeros past its end), multiplied by a window of win_length samples placed inside
// the n_fft span (centred as librosa/torch do, or at the start as python_speech_features
// does). Frame count: 1 + floor((L - n_fft) / hop) for padded length L; or, with cover_tail,
// 1 + ceil((L - win_length) / hop) so the last samples get a frame (python_speech_features).
//
//   librosa center=True      pad = n_fft/2, Zero (librosa >= 0.9) or Reflect (<= 0.8)
//   HiFi-GAN                 pad = (n_fft - hop)/2, Reflect
//   python_speech_features   pad = 0, Rectangular window at the start, cover_tail
//
// Thread safety: an Stft is immutable after construction; forward/inverse may run
// concurrently on one object (FFTW's new-array execute on per-call buffers). Construction
// takes FFTW's global planner lock.
#pragma once

#include <complex>
#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

namespace dubkit {

enum class Window { Hann, Rectangular };  // Hann is periodic (librosa fftbins=True, torch default)
enum class Padding { Zero, Reflect };

struct StftConfig {
  int n_fft = 1024;          // FFT length, samples
  int hop = 256;             // frame step, samples
  int win_length = 1024;     // window length, samples, <= n_fft
  Window window = Window::Hann;
  bool window_centered = true;  // window in the middle of the n_fft span (else at its start)
  int pad = 512;             // samples added before and after the signal
  Padding pad_mode = Padding::Zero;
  bool cover_tail = false;   // extra zero-padded frame(s) so every sample is covered

  int bins() const { return n_fft / 2 + 1; }
  // Throws InvalidArgument naming the bad field.
  void validate() const;
};

class Stft {
 public:
  explicit Stft(const StftConfig& config);
  ~Stft();
  Stft(const Stft&) = delete;
  Stft& operator=(const Stft&) = delete;

  const StftConfig& config() const { return config_; }
  // Frames produced for a signal of n samples; throws InvalidArgument when n is too short
  // (reflection needs n > pad; a frame needs L >= n_fft unless cover_tail).
  int frames(std::size_t n) const;

  // Complex spectra, frame-major: out[t * bins + k].
  std::vector<std::complex<float>> forward(const float* x, std::size_t n) const;

  // For each frame in order, the squared magnitude of each bin (bins() values) is handed to
  // `sink(t, power)`; the whole spectrogram is never materialised.
  void for_each_power(const float* x, std::size_t n,
                      const std::function<void(int, const float*)>& sink) const;

  // Inverse by windowed overlap-add normalised by the summed squared window (librosa's istft):
  // frame-major spectra of `frames` frames in, `length` samples out (the padding removed).
  std::vector<float> inverse(const std::complex<float>* spec, int frames, std::size_t length) const;

 private:
  // Writes frame t of the (virtually) padded signal, windowed, into buf (n_fft samples).
  void load_frame(const float* x, std::size_t n, int t, float* buf) const;

  StftConfig config_;
  std::vector<float> window_;  // n_fft samples, zero outside the win_length span
  struct Plans;
  std::unique_ptr<Plans> plans_;
};

}  // namespace dubkit
