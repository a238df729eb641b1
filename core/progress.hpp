// Progress reporting for long work. On a terminal: a redrawn bar on stderr. Otherwise (logs,
// CI): a plain line at most every `interval` seconds, so logs stay short.
// Not thread-safe: report from the thread doing the work.
#pragma once

#include <chrono>
#include <string>

namespace dubkit {

class Progress {
 public:
  // `total` units of work (> 0); `enabled` false makes every call a no-op (--quiet, --json).
  Progress(std::string label, long long total, bool enabled = true, double interval = 5.0);
  ~Progress();  // without done(), ends the line but does not claim 100%
  void update(long long done);
  // The same with a new label, e.g. the stage of a multi-stage job ("dub [lipsync 40%]").
  void update(long long done, std::string label);
  void done();

 private:
  void draw(long long done, bool final);

  std::string label_;
  long long total_;
  bool enabled_;
  bool tty_;
  bool finished_ = false;
  double interval_;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace dubkit
