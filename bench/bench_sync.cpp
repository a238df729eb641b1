// `dubkit sync score` on 2 cores: 10 s, 25 fps synthetic talking-face clips at 1280x720 and
// 640x360, scored by the default expert (models/sync_expert.safetensors) with the default
// search of +/-15 frames, model loading included. Next to it, measured in the same run, the
// floor any such tool pays: decoding the same clip (Decode), and decoding plus face tracking
// (Track), which a sync score cannot do without.
//   build/bench/dubkit_bench_sync --benchmark_repetitions=5 --benchmark_report_aggregates_only
#include <benchmark/benchmark.h>

#include "bench/clips.hpp"
#include "faces/tracker.hpp"
#include "sync/sync_judge.hpp"
#include "sync/sync_score.hpp"
#include "video/video_reader.hpp"

using namespace dubkit;

namespace {

std::string clip(const benchmark::State& state) {
  return bench::talking_clip(10, static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
}

void BM_SyncScore(benchmark::State& state) {
  const std::string video = clip(state);
  SyncScore s;
  for (auto _ : state) {
    const auto judge = load_sync_judge(std::string(DUBKIT_MODELS_DIR) + "/sync_expert.safetensors");
    s = score_sync(video, *judge);
  }
  state.counters["frames"] = static_cast<double>(s.frames);
  state.counters["offset"] = s.offset;
}

void BM_Decode(benchmark::State& state) {
  const std::string video = clip(state);
  long frames = 0;
  for (auto _ : state) {
    VideoReader in(video);
    VideoFrame f;
    for (frames = 0; in.read(f);) ++frames;
  }
  state.counters["frames"] = static_cast<double>(frames);
}

void BM_Track(benchmark::State& state) {
  const std::string video = clip(state);
  long found = 0;
  for (auto _ : state) {
    const FaceDetector detector;
    const LandmarkModel landmarks;
    VideoReader in(video);
    FaceTracker tracker(detector, landmarks);
    VideoFrame f;
    for (found = 0; in.read(f);)
      for (const TrackedFace& t : tracker.update(f.bgr)) found += t.valid;
  }
  state.counters["faces"] = static_cast<double>(found);
}

void sizes(benchmark::internal::Benchmark* b) { b->Args({1280, 720})->Args({640, 360}); }

BENCHMARK(BM_SyncScore)->Apply(sizes)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();
BENCHMARK(BM_Decode)->Apply(sizes)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();
BENCHMARK(BM_Track)->Apply(sizes)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
