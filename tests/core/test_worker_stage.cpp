#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "core/worker_stage.hpp"

using dubkit::WorkerStage;

TEST_CASE("a worker stage works on every item in order and finish waits for them", "[worker_stage]") {
  std::vector<int> seen;
  WorkerStage<int> stage([&](int& i) { seen.push_back(i); }, 3);
  for (int i = 0; i < 100; ++i) stage.push(i);
  stage.finish();
  REQUIRE(seen.size() == 100);
  for (int i = 0; i < 100; ++i) CHECK(seen[i] == i);
  CHECK_THROWS_AS(stage.push(100), std::logic_error);
}

TEST_CASE("a worker stage holds back its feeder when the queue is full", "[worker_stage]") {
  std::atomic<bool> release{false};
  std::atomic<int> started{0};
  WorkerStage<int> stage(
      [&](int&) {
        ++started;
        while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      },
      2);
  std::atomic<int> pushed{0};
  std::thread feeder([&] {
    for (int i = 0; i < 4; ++i) stage.push(i), ++pushed;
  });
  // One item in hand, two queued: the fourth push must wait.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(started == 1);
  CHECK(pushed == 3);
  release = true;
  feeder.join();
  stage.drain();
  CHECK(started == 4);
  stage.finish();
}

TEST_CASE("a worker stage's first error reaches the feeder and drops the rest", "[worker_stage]") {
  std::vector<int> seen;
  // Item 3 fails only once all ten are queued: an earlier failure would (rightly) be rethrown
  // by one of the pushes instead.
  std::atomic<bool> all_pushed{false};
  WorkerStage<int> stage(
      [&](int& i) {
        if (i == 3) {
          while (!all_pushed) std::this_thread::sleep_for(std::chrono::milliseconds(1));
          throw std::runtime_error("item 3 failed");
        }
        seen.push_back(i);
      },
      100);
  for (int i = 0; i < 10; ++i) stage.push(i);
  all_pushed = true;
  CHECK_THROWS_WITH(stage.finish(), "item 3 failed");
  CHECK(seen == std::vector<int>{0, 1, 2});
}

TEST_CASE("a worker stage's error is rethrown by the next push and by drain", "[worker_stage]") {
  WorkerStage<int> stage([](int&) { throw std::runtime_error("broken"); }, 1);
  stage.push(0);
  CHECK_THROWS_WITH(stage.drain(), "broken");
  CHECK_THROWS_WITH(stage.push(1), "broken");
}

TEST_CASE("a worker stage destroyed without finish drops what is queued", "[worker_stage]") {
  std::atomic<int> done{0};
  {
    WorkerStage<int> stage(
        [&](int&) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          ++done;
        },
        100);
    for (int i = 0; i < 50; ++i) stage.push(i);
  }
  CHECK(done < 50);
}
