#include <catch2/catch.hpp>

#include <thread>

#include "audio/ring_buffer.hpp"

using dubkit::SpscRingBuffer;

TEST_CASE("ring buffer: capacity, wrap-around and partial transfers", "[audio]") {
  SpscRingBuffer rb(4);
  const float in[6] = {1, 2, 3, 4, 5, 6};
  float out[6] = {};
  CHECK(rb.push(in, 6) == 4);  // full at capacity
  CHECK(rb.size() == 4);
  CHECK(rb.pop(out, 3) == 3);
  CHECK(out[0] == 1);
  CHECK(out[2] == 3);
  CHECK(rb.push(in + 4, 2) == 2);  // wraps
  CHECK(rb.pop(out, 6) == 3);
  CHECK(out[0] == 4);
  CHECK(out[1] == 5);
  CHECK(out[2] == 6);
  CHECK(rb.pop(out, 1) == 0);
}

TEST_CASE("ring buffer: one producer and one consumer thread transfer in order", "[audio]") {
  SpscRingBuffer rb(257);  // odd size: exercises wrap-around at every offset
  constexpr int kCount = 1 << 20;
  std::thread producer([&] {
    float chunk[61];
    int next = 0;
    while (next < kCount) {
      const int n = std::min(61, kCount - next);
      for (int i = 0; i < n; ++i) chunk[i] = static_cast<float>(next + i);
      int sent = 0;
      while (sent < n) sent += static_cast<int>(rb.push(chunk + sent, n - sent));
      next += n;
    }
  });
  int expected = 0;
  bool in_order = true;
  float buf[37];
  while (expected < kCount) {
    const std::size_t n = rb.pop(buf, 37);
    for (std::size_t i = 0; i < n; ++i) in_order &= buf[i] == static_cast<float>(expected++);
  }
  producer.join();
  CHECK(in_order);
  CHECK(rb.size() == 0);
}
