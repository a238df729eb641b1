// A picture of a feature matrix a person can read: low bands at the bottom, a perceptual
// colour map, a title line and one tick per second along the time axis. PNG through OpenCV.
#pragma once

#include <string>
#include <vector>

#include "audio/features.hpp"

namespace dubkit {

// `frames_per_second` places the time ticks; the PNG is written atomically, never over one of
// `inputs`.
void write_spectrogram_png(const std::string& path, const FeatureMatrix& features,
                           double frames_per_second, const std::string& title,
                           const std::vector<std::string>& inputs = {});

}  // namespace dubkit
