// `dubkit dub` end to end on 2 cores: the embedded sample (samples/presenter.mp4, 14.8 s,
// 640x360, 25 fps) dubbed into Spanish with the default models, under the samples' consent
// record and demo key (trusted in a temporary store), next to the floor any tool that rewrites
// the video pays in the same run: decoding and re-encoding the same clip with the same codec
// settings and a 48 kHz track (transcode). The goal is a dub in under 2x the clip's duration.
// Counters: x_duration (wall / clip seconds) and each stage's seconds (the dub's own report).
// Run: build/bench/dubkit_bench_dub --benchmark_repetitions=5 --benchmark_report_aggregates_only (medians).
#include <benchmark/benchmark.h>

#include <filesystem>
#include <map>

#include "audio/io.hpp"
#include "jobs/dub_job.hpp"
#include "provenance/consent_check.hpp"
#include "provenance/crypto.hpp"
#include "provenance/trust_store.hpp"
#include "video/video_reader.hpp"
#include "video/video_writer.hpp"
#include "voice/speaker_encoder.hpp"

using namespace dubkit;
namespace fs = std::filesystem;

namespace {

const std::string kSamples = DUBKIT_SAMPLES_DIR, kModels = DUBKIT_MODELS_DIR;
const std::string kClip = kSamples + "/presenter.mp4";

std::string scratch() {
  const std::string dir = (fs::temp_directory_path() / "dubkit-bench-dub").string();
  fs::create_directories(dir);
  return dir;
}

// The sample's voice, enrolled once (consent verified: statement heard, speaker matched).
struct Studio {
  const std::string key = kSamples + "/consent/demo-studio.key";
  const std::string profile = scratch() + "/presenter.voice";
  TrustStore trust{scratch() + "/trust"};
  Studio() {
    trust.add_key(read_public_key(key + ".pub"));
    const LoadedEncoder encoder = load_speaker_encoder(kModels + "/speaker_encoder.safetensors");
    write_voice_profile(profile, enroll_consented_voice(kSamples + "/consent/sample-consent.json", trust, encoder,
                                                        {kSamples + "/sample.wav"}, read_signing_key(key), "presenter"));
  }
};

Studio& studio() {
  static Studio s;
  return s;
}

double clip_seconds() {
  VideoReader r(kClip);
  return r.info().duration;
}

void BM_Dub(benchmark::State& state) {
  Studio& s = studio();
  DubJobOptions job;
  job.voice = s.profile;
  job.lang = "es";
  job.publish.key = s.key;
  job.publish.trust_dir = s.trust.dir();
  job.publish.render_log = scratch() + "/render-log.jsonl";
  DubOptions& o = job.dub;
  o.video = kClip;
  o.script = kSamples + "/presenter.es.srt";
  o.output = scratch() + "/dub.mp4";
  o.synthesizer = kModels + "/synthesizer.safetensors";
  o.vocoder = kModels + "/vocoder.safetensors";
  o.lipsync_model = kModels + "/lipsync.safetensors";
  o.sync_expert = kModels + "/sync_expert.safetensors";
  std::map<std::string, double> stages;
  for (auto _ : state) {
    const DubReport r = dub_job(job);
    for (const auto& [name, seconds] : r.stages) stages[name] += seconds;
  }
  const double n = static_cast<double>(state.iterations());
  for (const auto& [name, seconds] : stages) state.counters[name + "_s"] = seconds / n;
  state.counters["x_duration"] = stages["total"] / n / clip_seconds();
}

// Decode every frame and re-encode it with the same writer settings, with a 48 kHz track.
void BM_Transcode(benchmark::State& state) {
  const std::string out = scratch() + "/transcode.mp4";
  const Waveform sound = read_audio_track(kClip, 48000);
  for (auto _ : state) {
    VideoReader r(kClip);
    const VideoInfo& i = r.info();
    VideoWriterOptions wo;
    wo.time_base_num = i.time_base_num;
    wo.time_base_den = i.time_base_den;
    VideoWriter w(out, i.width, i.height, sound, wo, {kClip});
    VideoFrame f;
    while (r.read(f)) w.write(f.bgr, f.pts, f.duration);
    w.finish();
  }
}

}  // namespace

BENCHMARK(BM_Transcode)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_Dub)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);
BENCHMARK_MAIN();
