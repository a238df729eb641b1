// Lock-free single-producer / single-consumer ring buffer of floats, for handing audio to and
// from PortAudio callbacks: push and pop never lock, never allocate and never block, so the
// real-time thread cannot be stalled by the other side.
// Contract: exactly one thread calls push(), exactly one (other) thread calls pop().
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <vector>

namespace dubkit {

class SpscRingBuffer {
 public:
  // Holds up to `capacity` floats (allocated here, never again).
  explicit SpscRingBuffer(std::size_t capacity) : buf_(capacity + 1) {}

  // Copies up to n floats in; returns how many fit.
  std::size_t push(const float* data, std::size_t n) {
    const std::size_t w = write_.load(std::memory_order_relaxed);
    const std::size_t r = read_.load(std::memory_order_acquire);
    const std::size_t free = (r + buf_.size() - w - 1) % buf_.size();
    n = std::min(n, free);
    for (std::size_t i = 0; i < n; ++i) buf_[(w + i) % buf_.size()] = data[i];
    write_.store((w + n) % buf_.size(), std::memory_order_release);
    return n;
  }

  // Copies up to n floats out; returns how many there were.
  std::size_t pop(float* data, std::size_t n) {
    const std::size_t r = read_.load(std::memory_order_relaxed);
    const std::size_t w = write_.load(std::memory_order_acquire);
    const std::size_t avail = (w + buf_.size() - r) % buf_.size();
    n = std::min(n, avail);
    for (std::size_t i = 0; i < n; ++i) data[i] = buf_[(r + i) % buf_.size()];
    read_.store((r + n) % buf_.size(), std::memory_order_release);
    return n;
  }

  // Floats waiting: for the consumer a lower bound (more may arrive), for the producer an upper
  // bound (some may have been taken).
  std::size_t size() const {
    const std::size_t w = write_.load(std::memory_order_acquire);
    const std::size_t r = read_.load(std::memory_order_acquire);
    return (w + buf_.size() - r) % buf_.size();
  }

 private:
  std::vector<float> buf_;
  // Separate cache lines: each index is written by one side only.
  alignas(64) std::atomic<std::size_t> write_{0};
  alignas(64) std::atomic<std::size_t> read_{0};
};

}  // namespace dubkit
