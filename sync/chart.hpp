// Line charts as PNG with OpenCV's drawing (no plotting library in Debian for C++ that is worth
// the dependency): the sync timeline and offset curve of `sync score --plot`, and the ROC
// curves of `sync eval --roc`. Not thread-safe; one chart per object.
#pragma once

#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace dubkit {

class Chart {
 public:
  // A white canvas of `canvas` pixels whose plotting area `panel` spans x0..x1, y0..y1.
  Chart(cv::Size canvas, cv::Rect panel, double x0, double x1, double y0, double y1);
  // Another plotting area on the same canvas (the pixels are shared, not copied).
  Chart panel(cv::Rect area, double x0, double x1, double y0, double y1) const;

  void axes(const std::string& title, const std::string& x_label, const std::string& y_label);
  // Non-finite points break the line.
  void line(const std::vector<double>& x, const std::vector<double>& y, cv::Scalar bgr, int thickness = 2);
  void horizontal(double y, cv::Scalar bgr);
  void marker(double x, double y, cv::Scalar bgr);
  // Boxed, in the panel's top right corner, or its bottom right with `bottom`.
  void legend(const std::vector<std::pair<std::string, cv::Scalar>>& entries, bool bottom = false);
  // IoError naming the path when it cannot be written.
  void save(const std::string& path) const;

  static cv::Scalar colour(int i);  // a distinct colour per series

 private:
  Chart(cv::Mat canvas, cv::Rect area, double x0, double x1, double y0, double y1);
  cv::Point to_pixel(double x, double y) const;
  cv::Mat canvas_;  // shared by the panels of one canvas
  cv::Rect area_;
  double x0_, x1_, y0_, y1_;
};

}  // namespace dubkit
