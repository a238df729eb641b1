// Work on numbered items by a few threads, with the calling thread free to report progress:
// the corpus builders' loop (decoding, synthesis and alignment of independent items).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace dubkit {

// Calls work(i) for every i in [0, n), items handed out in order to `threads` threads (at
// least one). `poll()` runs on the calling thread about every 200 ms while they work. The first
// exception from `work` stops the handing out of items and is rethrown here once every thread
// has finished its item in hand.
inline void parallel_for(std::size_t n, int threads, const std::function<void(std::size_t)>& work,
                         const std::function<void()>& poll = {}) {
  std::atomic<std::size_t> next{0};
  std::atomic<int> running{threads < 1 ? 1 : threads};
  std::mutex error_mutex;
  std::exception_ptr error;
  auto worker = [&] {
    for (std::size_t i; (i = next++) < n;) {
      try {
        work(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        next = n;
      }
    }
    --running;
  };
  std::vector<std::thread> pool;
  for (int t = running.load(); t > 0; --t) pool.emplace_back(worker);
  while (running.load() > 0) {
    if (poll) poll();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  for (std::thread& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace dubkit
