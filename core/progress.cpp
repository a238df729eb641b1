#include "core/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace dubkit {

Progress::Progress(std::string label, long long total, bool enabled, double interval)
    : label_(std::move(label)),
      total_(std::max(1LL, total)),
      enabled_(enabled),
      tty_(::isatty(STDERR_FILENO) == 1),
      interval_(tty_ ? 0.1 : interval),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

Progress::~Progress() {
  // Abandoned (an exception): end the bar's line without claiming completion.
  if (!finished_ && enabled_ && tty_) std::fputc('\n', stderr);
}

void Progress::update(long long done) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (std::chrono::duration<double>(now - last_).count() < interval_) return;
  last_ = now;
  draw(done, false);
}

void Progress::update(long long done, std::string label) {
  label_ = std::move(label);
  update(done);
}

void Progress::done() {
  if (finished_) return;
  finished_ = true;
  if (enabled_) draw(total_, true);
}

void Progress::draw(long long done, bool final) {
  const double frac = std::clamp(static_cast<double>(done) / total_, 0.0, 1.0);
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double eta = frac > 0 ? elapsed * (1 - frac) / frac : 0;
  if (tty_) {
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(frac * kWidth);
    std::fprintf(stderr, "\r%s [%.*s%*s] %3.0f%% %5.1fs elapsed, %5.1fs left\033[K", label_.c_str(), filled,
                 "==============================", kWidth - filled, "", frac * 100, elapsed, eta);
    if (final) std::fputc('\n', stderr);
  } else {
    std::fprintf(stderr, "%s: %3.0f%% (%lld/%lld) %.1fs elapsed\n", label_.c_str(), frac * 100,
                 final ? total_ : done, total_, elapsed);
  }
  std::fflush(stderr);
}

}  // namespace dubkit
