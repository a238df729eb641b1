// Duration control (pure arithmetic) and the text splitter.
#include <catch2/catch.hpp>

#include <numeric>

#include "core/error.hpp"
#include "synth/durations.hpp"
#include "synth/front_end.hpp"

using namespace dubkit;

namespace {

constexpr double kFps = 80.0;
const std::vector<double> kPredicted = {3.0, 7.5, 5.25, 9.0, 2.0, 12.0, 6.0};  // 44.75 frames

double sum(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0); }

std::string message_of(const std::vector<double>& predicted, const DurationControls& c) {
  try {
    plan_durations(predicted, c, kFps);
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("durations: free, rate, and target totals within one frame", "[synth][durations]") {
  DurationPlan free = plan_durations(kPredicted, {}, kFps);
  CHECK(free.frames == kPredicted);
  CHECK(free.total_frames == 45);
  CHECK(free.stretch == 1.0);

  DurationControls fast;
  fast.rate = 1.25;
  const DurationPlan f = plan_durations(kPredicted, fast, kFps);
  CHECK(sum(f.frames) == Approx(44.75 / 1.25));
  CHECK(f.stretch == Approx(0.8));

  for (double stretch : {0.8, 0.9, 1.0, 1.1, 1.25}) {
    DurationControls c;
    c.total_seconds = 44.75 / kFps * stretch;
    const DurationPlan p = plan_durations(kPredicted, c, kFps);
    INFO("stretch " << stretch);
    CHECK(sum(p.frames) == Approx(c.total_seconds * kFps));
    CHECK(p.stretch == Approx(stretch));
    CHECK(std::abs(p.seconds - c.total_seconds) <= 0.5 / kFps + 1e-9);  // whole frames
    // Every phone keeps its share.
    for (std::size_t i = 0; i < kPredicted.size(); ++i) CHECK(p.frames[i] == Approx(kPredicted[i] * stretch));
  }
}

TEST_CASE("durations: fixed phones keep their length, the rest fills the target", "[synth][durations]") {
  DurationControls c;
  c.phone_seconds = {{1, 0.2}, {4, 0.0}};
  c.total_seconds = 0.6;
  const DurationPlan p = plan_durations(kPredicted, c, kFps);
  CHECK(p.frames[1] == Approx(16.0));
  CHECK(p.frames[4] == 0.0);
  CHECK(sum(p.frames) == Approx(48.0));
  CHECK(p.stretch == Approx((48.0 - 16.0) / (44.75 - 7.5 - 2.0)));
}

TEST_CASE("durations: impossible requests fail with the numbers that make them impossible", "[synth][durations][bad-input]") {
  DurationControls c;
  c.total_seconds = 3600;
  CHECK(message_of(kPredicted, c).find("600") != std::string::npos);  // beyond the 10-minute bound
  c.total_seconds = 60;
  const std::string stretch = message_of(kPredicted, c);
  CHECK(stretch.find("stretch of 107.26x") != std::string::npos);
  CHECK(stretch.find("0.56 s at its natural rate") != std::string::npos);
  c.total_seconds = 0;
  CHECK(message_of(kPredicted, c).find("target duration 0") != std::string::npos);
  c.total_seconds = 0.1;  // 0.18x
  CHECK(message_of(kPredicted, c).find("outside the allowed [0.50x, 2.00x]") != std::string::npos);
  c = {};
  c.rate = 0;
  CHECK(message_of(kPredicted, c).find("speaking rate 0") != std::string::npos);
  c = {};
  c.phone_seconds = {{7, 0.1}};
  CHECK(message_of(kPredicted, c).find("out of range: the text has 7 phones") != std::string::npos);
  c = {};
  c.phone_seconds = {{0, 0.5}};
  c.total_seconds = 0.4;
  CHECK(message_of(kPredicted, c).find("fixed phones alone last 0.500 s") != std::string::npos);
  CHECK(message_of({}, {}).find("no phones") != std::string::npos);
  c = {};
  c.total_seconds = 0.5;
  CHECK(message_of({0.0, 0.0, 0.0}, c).find("predicted durations are all zero") != std::string::npos);
  c.phone_seconds = {{0, 0.1}, {1, 0.1}};
  CHECK(message_of({3.0, 4.0}, c).find("every phone has a fixed duration") != std::string::npos);
}

TEST_CASE("text is split into sentences, keeping every word", "[synth]") {
  CHECK(split_text("Hello there. How are you?  Fine!\nNew line; more") ==
        std::vector<std::string>{"Hello there.", "How are you?", "Fine!", "New line;", "more"});
  CHECK(split_text("It costs 3.50 dollars.") == std::vector<std::string>{"It costs 3.50 dollars."});
  CHECK(split_text(" \n\t ").empty());
  // Pieces with nothing to say are dropped; words of any script are kept.
  CHECK(split_text("Wait ... what? ...") == std::vector<std::string>{"Wait ...", "what?"});
  CHECK(split_text("Да. ! ¿Qué?") == std::vector<std::string>{"Да.", "¿Qué?"});
}
