// One stage of a streaming pipeline: a thread that applies `work` to each item pushed, in
// order, fed through a bounded queue, so that a slow stage holds back the one before it
// (memory stays bounded) and stages on different threads overlap.
//
// Errors: the first exception thrown by `work` stops the stage (queued items are dropped) and
// is rethrown by the next push(), drain() or finish() on the feeding thread.
// Destroying a stage without finish() (an exception is on its way) drops the queued items and
// waits only for the item in hand.
//
// Thread safety: one feeding thread calls push/drain/finish; `work` runs on the stage's own
// thread. Thread-local state (LibTorch's InferenceMode, for one) must be set inside `work`.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>

namespace dubkit {

template <typename Item>
class WorkerStage {
 public:
  WorkerStage(std::function<void(Item&)> work, std::size_t capacity)
      : work_(std::move(work)), capacity_(capacity < 1 ? 1 : capacity), thread_([this] { run(); }) {}
  ~WorkerStage() { stop(true); }
  WorkerStage(const WorkerStage&) = delete;
  WorkerStage& operator=(const WorkerStage&) = delete;

  // Blocks while the queue is full.
  void push(Item item) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return queue_.size() < capacity_ || error_; });
    if (error_) std::rethrow_exception(error_);
    if (closed_) throw std::logic_error("WorkerStage::push after finish");
    queue_.push_back(std::move(item));
    changed_.notify_all();
  }
  // Returns when every item pushed so far has been worked on.
  void drain() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return (queue_.empty() && !busy_) || error_; });
    if (error_) std::rethrow_exception(error_);
  }
  // Works off the queue and ends the thread; push() after it is an error.
  void finish() {
    stop(false);
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void stop(bool drop_queued) {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
      if (drop_queued) queue_.clear();
    }
    changed_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  void run() {
    while (true) {
      Item item;
      {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return !queue_.empty() || closed_; });
        if (queue_.empty()) return;
        item = std::move(queue_.front());
        queue_.pop_front();
        busy_ = true;
      }
      changed_.notify_all();
      std::exception_ptr error;
      try {
        work_(item);
      } catch (...) {
        error = std::current_exception();
      }
      std::lock_guard lock(mutex_);
      busy_ = false;
      if (error) {
        error_ = error;
        queue_.clear();
      }
      changed_.notify_all();
      if (error) return;
    }
  }

  const std::function<void(Item&)> work_;
  const std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable changed_;  // queue, busy_ or error_ changed
  std::deque<Item> queue_;
  bool closed_ = false, busy_ = false;
  std::exception_ptr error_;
  std::thread thread_;  // last: it starts using the members above at once
};

}  // namespace dubkit
