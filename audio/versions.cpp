#include "audio/versions.hpp"

#include <ebur128.h>
#include <fftw3.h>
#include <portaudio.h>
#include <sndfile.h>
#include <soxr.h>

#include <opencv2/core/utility.hpp>

namespace dubkit {

std::vector<std::pair<std::string, std::string>> audio_library_versions() {
  int maj = 0, min = 0, patch = 0;
  ebur128_get_version(&maj, &min, &patch);
  return {
      {"libsndfile", sf_version_string()},
      {"FFTW", fftwf_version},
      {"libsoxr", soxr_version()},
      {"libebur128", std::to_string(maj) + "." + std::to_string(min) + "." + std::to_string(patch)},
      {"PortAudio", Pa_GetVersionText()},
      {"OpenCV", cv::getVersionString()},
  };
}

}  // namespace dubkit
