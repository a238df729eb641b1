// `dubkit lipsync` end to end on 2 cores: a 10 s, 25 fps, 1280x720 synthetic talking-face clip
// re-driven by 10 s of speech-like audio with the default generator (models/lipsync.safetensors;
// $DUBKIT_BENCH_LIPSYNC_MODEL overrides it, e.g. with a training checkpoint of the same size:
// the speed does not depend on the weights), next to the floor any such tool pays in the same
// run: decoding and re-encoding the same clip with the same codec settings (transcode).
// Counters: frames/s and each stage's milliseconds per frame.
//
// `dubkit_bench_lipsync --peak-memory` instead runs lipsync on 10 s and 60 s clips, each in its
// own child process, and prints each one's peak resident memory: streaming means it should not
// grow with the clip's length.
//
// The clips are rendered on first use and kept in the system temp dir.
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "audio/io.hpp"
#include "bench/clips.hpp"
#include "lipsync/lipsync_video.hpp"
#include "video/video_reader.hpp"
#include "video/video_writer.hpp"

using namespace dubkit;

namespace {

std::string model() {
  const char* env = std::getenv("DUBKIT_BENCH_LIPSYNC_MODEL");
  return env && *env ? env : std::string(DUBKIT_MODELS_DIR) + "/lipsync.safetensors";
}

std::string clip(double seconds) { return bench::talking_clip(seconds); }
using bench::speech_for;

LipSyncVideoOptions options(const std::string& video, const std::string& output) {
  LipSyncVideoOptions o;
  o.video = video;
  o.audio = speech_for(video);
  o.output = output;
  o.model = model();
  return o;
}

void BM_LipSync(benchmark::State& state) {
  const std::string video = clip(10);
  LipSyncVideoReport r;
  for (auto _ : state) r = lipsync_video(options(video, video + ".out.mp4"));
  state.counters["fps"] = r.frames_out / r.total_s;
  for (const auto& [name, s] : {std::pair{"decode", r.decode_s}, {"detect", r.detect_s}, {"landmarks", r.landmarks_s},
                                {"network", r.network_s}, {"composite", r.composite_s}, {"encode", r.encode_s}})
    state.counters[std::string(name) + "_ms_per_frame"] = 1000 * s / r.frames_out;
}

void BM_Transcode(benchmark::State& state) {
  const std::string video = clip(10);
  long frames = 0;
  for (auto _ : state) {
    VideoReader in(video);
    VideoWriter out(video + ".transcoded.mp4", in.info().width, in.info().height, read_mono(speech_for(video)),
                    LipSyncVideoOptions{}.encode);
    VideoFrame f;
    frames = 0;
    while (in.read(f)) out.write(f.bgr, f.pts, f.duration), ++frames;
    out.finish();
  }
  state.counters["frames"] = static_cast<double>(frames);
}

BENCHMARK(BM_LipSync)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();
BENCHMARK(BM_Transcode)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

// Peak resident memory (KiB) of lipsync on a clip of `seconds`, in a child process.
long child_peak_kib(double seconds) {
  const std::string video = clip(seconds);
  const pid_t pid = fork();
  if (pid == 0) {
    try {
      lipsync_video(options(video, video + ".out.mp4"));
      _exit(0);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s\n", e.what());
      _exit(1);
    }
  }
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? usage.ru_maxrss : -1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--peak-memory") == 0) {
    clip(10), clip(60);  // rendered first, outside the measured children
    const long a = child_peak_kib(10), b = child_peak_kib(60);
    std::printf("lipsync peak resident memory: 10 s clip %.1f MiB, 60 s clip %.1f MiB (ratio %.3f)\n", a / 1024.0,
                b / 1024.0, double(b) / a);
    return a > 0 && b > 0 ? 0 : 1;
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
