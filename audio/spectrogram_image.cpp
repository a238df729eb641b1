#include "audio/spectrogram_image.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace dubkit {

void write_spectrogram_png(const std::string& path, const FeatureMatrix& features,
                           double frames_per_second, const std::string& title,
                           const std::vector<std::string>& inputs) {
  if (features.rows < 1 || features.cols < 1) throw InvalidArgument("spectrogram of an empty matrix");
  const auto [lo, hi] = std::minmax_element(features.data.begin(), features.data.end());
  const float range = *hi > *lo ? *hi - *lo : 1.0f;
  // Row 0 (lowest band) goes to the bottom of the picture.
  cv::Mat gray(features.rows, features.cols, CV_8UC1);
  for (int r = 0; r < features.rows; ++r)
    for (int c = 0; c < features.cols; ++c)
      gray.at<unsigned char>(features.rows - 1 - r, c) =
          static_cast<unsigned char>(std::lround(255.0 * (features.at(r, c) - *lo) / range));
  const int sx = std::max(1, 1200 / features.cols), sy = std::max(1, 320 / features.rows);
  cv::Mat scaled, colour;
  cv::resize(gray, scaled, {features.cols * sx, features.rows * sy}, 0, 0, cv::INTER_NEAREST);
  cv::applyColorMap(scaled, colour, cv::COLORMAP_MAGMA);

  constexpr int kTop = 28, kBottom = 24;
  cv::Mat canvas(colour.rows + kTop + kBottom, colour.cols, CV_8UC3, cv::Scalar(255, 255, 255));
  colour.copyTo(canvas(cv::Rect(0, kTop, colour.cols, colour.rows)));
  const auto font = cv::FONT_HERSHEY_SIMPLEX;
  cv::putText(canvas, title, {4, 19}, font, 0.5, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  if (frames_per_second > 0) {
    const double seconds = features.cols / frames_per_second;
    const int step = std::max(1, static_cast<int>(std::ceil(seconds / 12)));  // at most ~12 ticks
    for (int s = 0; s <= seconds; s += step) {
      const int x = static_cast<int>(s * frames_per_second * sx);
      cv::line(canvas, {x, kTop + colour.rows}, {x, kTop + colour.rows + 5}, cv::Scalar(0, 0, 0));
      cv::putText(canvas, std::to_string(s) + "s", {std::min(x + 2, canvas.cols - 24), canvas.rows - 6}, font,
                  0.4, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
    }
  }
  AtomicOutput out(path, inputs);
  if (!cv::imwrite(out.temp_path(), canvas)) throw IoError("cannot write PNG '" + path + "'");
  out.commit();
}

}  // namespace dubkit
