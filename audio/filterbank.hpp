// Mel filterbanks and cepstral transforms, matching the public reference conventions.
#pragma once

#include "audio/features.hpp"

namespace dubkit {

enum class MelScale { Slaney, Htk };  // librosa's default (linear below 1 kHz, log above) / HTK

struct MelFilterbankSpec {
  int sample_rate = 22050;  // Hz
  int n_fft = 1024;         // FFT length the filters apply to (n_fft/2 + 1 bins)
  int n_mels = 80;
  double fmin = 0.0;        // Hz
  double fmax = 8000.0;     // Hz, <= sample_rate / 2
  MelScale scale = MelScale::Slaney;
  bool slaney_norm = true;  // area normalisation (librosa norm='slaney'); false: peak 1
  void validate() const;    // throws InvalidArgument naming the field
};

// librosa.filters.mel: [n_mels, n_fft/2+1], triangles on the continuous frequency axis,
// computed in double and rounded to float once, as librosa does.
FeatureMatrix mel_filterbank(const MelFilterbankSpec& spec);

// python_speech_features.get_filterbanks: [n_filters, n_fft/2+1] triangles with corners
// snapped to FFT bins floor((n_fft+1) * f / rate), HTK mel scale, peak 1.
FeatureMatrix speech_features_filterbank(int n_filters, int n_fft, int sample_rate,
                                         double fmin, double fmax);

// [n_out, n_in] orthonormal DCT-II matrix (scipy.fftpack.dct type 2, norm='ortho'), first
// n_out rows.
FeatureMatrix dct2_ortho(int n_out, int n_in);

// out = a @ b, [a.rows, b.cols]. Skips zero entries of a (filterbanks are sparse).
FeatureMatrix matmul(const FeatureMatrix& a, const FeatureMatrix& b);

// librosa.power_to_db(S, ref=1.0, amin, top_db): 10*log10(max(S, amin)), then floored at
// max - top_db when top_db > 0.
void power_to_db(FeatureMatrix& s, double amin = 1e-10, double top_db = 80.0);

}  // namespace dubkit
