#include "lipsync/lipsync_video.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <future>
#include <map>
#include <optional>

#include "audio/io.hpp"
#include "audio/mel_preset.hpp"
#include "audio/resample.hpp"
#include "core/error.hpp"
#include "core/worker_stage.hpp"
#include "lipsync/composite_stage.hpp"
#include "lipsync/conv_block.hpp"
#include "lipsync/face_stage.hpp"
#include "lipsync/frame_source.hpp"
#include "lipsync/generate_stage.hpp"
#include "lipsync/inputs.hpp"
#include "lipsync/model_files.hpp"
#include "lipsync/silence_gate.hpp"

namespace dubkit {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// `wave` followed by digital silence up to `seconds` (unchanged when it is already as long).
Waveform with_silence_to(Waveform wave, double seconds) {
  const auto n = static_cast<std::size_t>(std::ceil(seconds * wave.rate));
  if (n > wave.samples.size()) wave.samples.resize(n, 0.0f);
  return wave;
}

// The output's codec settings: the caller's, in the input's time base and frame rate (its timing
// is kept exactly), the caller's metadata merged over the input's.
VideoWriterOptions encode_options(const VideoWriterOptions& requested, const VideoInfo& info) {
  VideoWriterOptions enc = requested;
  enc.time_base_num = info.time_base_num;
  enc.time_base_den = info.time_base_den;
  if (info.fps > 0) enc.fps = info.fps;
  std::map<std::string, std::string> metadata = info.metadata;
  for (const auto& [k, v] : requested.metadata) metadata[k] = v;
  enc.metadata = metadata;
  return enc;
}

}  // namespace

void LipSyncVideoOptions::validate() const {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw InvalidArgument("lipsync: " + what);
  };
  need(!video.empty(), "--video is required");
  need(!audio.empty(), "--audio is required");
  need(!output.empty(), "-o is required");
  need(!model.empty(), "--model is required");
  need(face >= -1, "--face must be a track id (0, 1, ...) or -1 for the largest face");
  need(batch >= 1 && batch <= 256, "--batch must be in 1..256");
  need(threads >= 1 && threads <= 64, "--threads must be in [1, 64]");
  need(silence_fade >= 0 && silence_fade <= 1, "--silence-fade must be in [0, 1] seconds");
  for (const auto& [a, b] : spans) need(std::isfinite(a) && std::isfinite(b) && a < b, "spans must be finite with start < end");
}

LipSyncVideoReport lipsync_video(const LipSyncVideoOptions& o, const std::function<void(long, long)>& progress) {
  o.validate();
  const auto t_start = Clock::now();

  // Open the inputs. dlib's face models take a second or two to deserialise: they load while
  // the rest starts up.
  auto detector_loaded = std::async(std::launch::async, [] { return FaceDetector(); });
  auto landmarks_loaded = std::async(std::launch::async, [] { return LandmarkModel(); });
  torch::set_num_threads(o.threads);
  torch::InferenceMode inference;  // no autograd bookkeeping at all (faster than NoGradGuard)
  Wav2Lip generator = load_lipsync_generator(o.model);
  fold_batch_norms(*generator);

  const Waveform speech = read_mono(o.audio);
  if (speech.samples.empty()) throw InvalidArgument("lipsync: " + o.audio + " has no samples");
  const MelAnalyzer analyzer(mel_preset(generator->config().mel_preset));
  const Waveform speech_16k = resample(speech, 16000);
  FeatureMatrix mel = analyzer.compute(speech_16k);
  if (mel.cols < kMelWindow)
    throw InvalidArgument("lipsync: " + o.audio + " is shorter than one mel window (0.2 s)");

  LipSyncVideoReport rep;
  rep.audio_seconds = speech.seconds();
  FrameSource source(o.video, rep.audio_seconds, o.output + ".frames.tmp");
  const VideoInfo& info = source.info();
  rep.width = info.width;
  rep.height = info.height;
  rep.video_seconds = info.duration;
  // Speech shorter than the video: the rest is a pause, the mouth driven by silence.
  if (info.duration > rep.audio_seconds) mel = analyzer.compute(with_silence_to(speech_16k, info.duration));

  const std::vector<std::string> inputs = {o.video, o.audio, o.mux_audio.empty() ? o.audio : o.mux_audio};
  VideoWriter writer(o.output, info.width, info.height, o.mux_audio.empty() ? speech : read_mono(o.mux_audio),
                     encode_options(o.encode, info), inputs);

  // The stages, on three threads: this one decodes and tracks, the generator runs on batches
  // on the next, compositing and encoding on the third (so one LibTorch thread serves 2 cores
  // best). Each queue holds one batch. Stage times are each thread's own; they overlap.
  CompositeStage composite(o.composite, o.on_frame, o.mark, o.label);
  double encode_s = 0;
  WorkerStage<PendingFrame> encoder(
      [&](PendingFrame& p) {
        composite(p);
        const auto t0 = Clock::now();
        writer.write(p.frame, p.pts, p.duration);
        encode_s += since(t0);
      },
      static_cast<std::size_t>(o.batch));
  GenerateStage generate(generator, mel);
  WorkerStage<std::vector<PendingFrame>> network(
      [&](std::vector<PendingFrame>& batch) {
        generate(batch);
        for (PendingFrame& p : batch) encoder.push(std::move(p));
      },
      1);
  std::optional<SilenceGate> gate;
  if (o.silence_gate) gate.emplace(speech, o.silence_fade);
  FaceStageOptions fo;
  fo.face = o.face;
  fo.crop_size = generator->config().face_size;
  fo.fps = info.fps;
  fo.spans = o.spans;
  FaceStage track(detector_loaded.get(), landmarks_loaded.get(), fo, gate ? &*gate : nullptr);

  std::vector<PendingFrame> batch;
  auto flush = [&] {
    if (!batch.empty()) network.push(std::move(batch));
    batch.clear();
  };
  // For each frame: decode, track; a batch at a time: generate, then composite and encode.
  // The whole input plays once; the extension only lasts until the speech ends.
  const long expected_frames = static_cast<long>(std::ceil(std::max(rep.audio_seconds, info.duration) * std::max(1.0, info.fps)));
  double pts = 0;
  long index = 0;
  while (true) {
    if (source.extending() && pts >= rep.audio_seconds - 1e-9) break;
    PendingFrame p;
    auto t0 = Clock::now();
    if (!source.next(p.frame, p.duration)) {
      // The input is used up: extend it only while the speech lasts. A held still is copied
      // from the last frame, which the encoder must be done with.
      if (pts >= rep.audio_seconds - 1e-9) break;
      flush();
      network.drain();
      encoder.drain();
      if (!source.next(p.frame, p.duration)) break;
    }
    rep.decode_s += since(t0);
    p.pts = pts;
    track(p, index);
    const double shown = p.duration > 0 ? p.duration : 1.0 / std::max(1.0, info.fps);
    batch.push_back(std::move(p));
    if (static_cast<int>(batch.size()) >= o.batch) flush();
    pts += shown;
    ++index;
    if (progress) progress(index, std::max(index, expected_frames));
  }
  if (index == 0) throw FormatError(o.video + ": no frame decoded");  // the writer drops its partial file
  flush();
  network.finish();
  encoder.finish();
  const auto t0 = Clock::now();
  writer.finish();

  const CompositeTally& tally = composite.tally();
  rep.network_s = generate.seconds();
  rep.composite_s = tally.seconds;
  rep.encode_s = encode_s + since(t0);
  rep.frames_changed = tally.changed;
  rep.frames_silenced = track.frames_silenced();
  rep.first_changed = tally.first_changed;
  rep.last_changed = tally.last_changed;
  rep.changed_box = tally.changed_box;
  rep.detect_s = track.times().detect_s;
  rep.landmarks_s = track.times().landmarks_s;
  rep.frames_in = source.decoded();
  rep.frames_out = index;
  rep.output_seconds = pts;
  rep.face_track = track.target();
  rep.tracks = track.tracks();
  rep.total_s = since(t_start);
  return rep;
}

}  // namespace dubkit
