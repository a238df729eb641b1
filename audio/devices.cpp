#include "audio/devices.hpp"

#include <fcntl.h>
#include <portaudio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "audio/ring_buffer.hpp"
#include "core/error.hpp"

namespace dubkit {

namespace {

// Pa_Initialize / Pa_Terminate for one scope.
class PaSession {
 public:
  PaSession() {
    // The ALSA and JACK back ends print pages of probing noise to stderr on a machine without
    // sound hardware; real failures still come back as PortAudio error codes. So stderr points
    // at /dev/null while they initialise (other threads' stderr output is lost meanwhile).
    std::fflush(stderr);
    const int saved = ::dup(STDERR_FILENO);
    const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (saved >= 0 && null >= 0) ::dup2(null, STDERR_FILENO);
    const PaError e = Pa_Initialize();
    if (saved >= 0) {
      ::dup2(saved, STDERR_FILENO);
      ::close(saved);
    }
    if (null >= 0) ::close(null);
    if (e != paNoError) throw IoError(std::string("PortAudio could not start: ") + Pa_GetErrorText(e));
  }
  ~PaSession() { Pa_Terminate(); }
  PaSession(const PaSession&) = delete;
  PaSession& operator=(const PaSession&) = delete;
};

struct StreamCloser {
  void operator()(PaStream* s) const {
    Pa_AbortStream(s);
    Pa_CloseStream(s);
  }
};
using StreamPtr = std::unique_ptr<PaStream, StreamCloser>;

void check(PaError e, const std::string& what) {
  if (e != paNoError) throw IoError(what + ": " + Pa_GetErrorText(e));
}

// Shared between the caller and the real-time callback; the callback only touches the ring
// and the atomics.
struct StreamState {
  explicit StreamState(std::size_t capacity) : ring(capacity) {}
  SpscRingBuffer ring;
  std::atomic<bool> input_done{false};   // producer has pushed everything (playback)
  std::atomic<bool> drained{false};      // callback saw the end (playback)
};

int play_callback(const void*, void* out, unsigned long frames, const PaStreamCallbackTimeInfo*,
                  PaStreamCallbackFlags, void* user) {
  auto* st = static_cast<StreamState*>(user);
  auto* o = static_cast<float*>(out);
  // Read before popping: if the producer had finished before this pop, a short pop is the end.
  const bool producer_done = st->input_done.load(std::memory_order_acquire);
  const std::size_t got = st->ring.pop(o, frames);
  std::fill(o + got, o + frames, 0.0f);
  if (got < frames && producer_done) {
    st->drained.store(true, std::memory_order_release);
    return paComplete;
  }
  return paContinue;
}

int record_callback(const void* in, void*, unsigned long frames, const PaStreamCallbackTimeInfo*,
                    PaStreamCallbackFlags, void* user) {
  auto* st = static_cast<StreamState*>(user);
  st->ring.push(static_cast<const float*>(in), frames);  // overrun drops samples, never blocks
  return paContinue;
}

constexpr double kGraceSeconds = 3.0;

}  // namespace

std::string portaudio_version() { return Pa_GetVersionText(); }

std::vector<AudioDevice> list_audio_devices() {
  PaSession pa;
  std::vector<AudioDevice> out;
  const int n = Pa_GetDeviceCount();
  if (n < 0) throw IoError(std::string("PortAudio cannot list devices: ") + Pa_GetErrorText(n));
  for (int i = 0; i < n; ++i) {
    const PaDeviceInfo* d = Pa_GetDeviceInfo(i);
    if (!d) continue;
    AudioDevice a;
    a.index = i;
    a.name = d->name;
    const PaHostApiInfo* h = Pa_GetHostApiInfo(d->hostApi);
    a.host_api = h ? h->name : "?";
    a.max_input_channels = d->maxInputChannels;
    a.max_output_channels = d->maxOutputChannels;
    a.default_rate = d->defaultSampleRate;
    a.default_input = i == Pa_GetDefaultInputDevice();
    a.default_output = i == Pa_GetDefaultOutputDevice();
    out.push_back(a);
  }
  return out;
}

void play(const Waveform& wave) {
  if (wave.rate <= 0 || wave.samples.empty()) throw InvalidArgument("play: nothing to play");
  PaSession pa;
  const PaDeviceIndex dev = Pa_GetDefaultOutputDevice();
  if (dev == paNoDevice) throw IoError("no audio output device (PortAudio found none)");
  StreamState st(static_cast<std::size_t>(wave.rate));  // one second of buffer
  PaStreamParameters p{dev, 1, paFloat32, Pa_GetDeviceInfo(dev)->defaultLowOutputLatency, nullptr};
  PaStream* raw = nullptr;
  check(Pa_OpenStream(&raw, nullptr, &p, wave.rate, paFramesPerBufferUnspecified, paNoFlag,
                      play_callback, &st),
        "cannot open the audio output");
  StreamPtr stream(raw);
  // Pre-fill, then keep the ring topped up from this (non-real-time) thread.
  std::size_t pos = st.ring.push(wave.samples.data(), wave.samples.size());
  check(Pa_StartStream(stream.get()), "cannot start playback");
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration<double>(wave.seconds() + kGraceSeconds);
  while (!st.drained.load(std::memory_order_acquire)) {
    if (pos < wave.samples.size()) pos += st.ring.push(wave.samples.data() + pos, wave.samples.size() - pos);
    else st.input_done.store(true, std::memory_order_release);
    if (std::chrono::steady_clock::now() > deadline) throw IoError("playback did not finish: the audio device stopped responding");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  check(Pa_StopStream(stream.get()), "cannot stop playback");
}

struct PlaybackStream::Impl {
  explicit Impl(int rate) : rate(rate), st(static_cast<std::size_t>(rate)) {}
  int rate;
  PaSession pa;
  StreamState st;  // one second of buffer
  StreamPtr stream;  // declared last: closed before the session ends
};

PlaybackStream::PlaybackStream(int rate) {
  if (rate <= 0) throw InvalidArgument("playback: sample rate must be positive");
  impl_ = std::make_unique<Impl>(rate);
  const PaDeviceIndex dev = Pa_GetDefaultOutputDevice();
  if (dev == paNoDevice) throw IoError("no audio output device (PortAudio found none)");
  PaStreamParameters p{dev, 1, paFloat32, Pa_GetDeviceInfo(dev)->defaultLowOutputLatency, nullptr};
  PaStream* raw = nullptr;
  check(Pa_OpenStream(&raw, nullptr, &p, rate, paFramesPerBufferUnspecified, paNoFlag, play_callback, &impl_->st),
        "cannot open the audio output");
  impl_->stream.reset(raw);
  check(Pa_StartStream(raw), "cannot start playback");
}

PlaybackStream::~PlaybackStream() = default;  // the stream's closer aborts unfinished playback

void PlaybackStream::write(const std::vector<float>& samples) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration<double>(double(samples.size()) / impl_->rate + kGraceSeconds);
  std::size_t pos = 0;
  while (pos < samples.size()) {
    pos += impl_->st.ring.push(samples.data() + pos, samples.size() - pos);
    if (pos == samples.size()) break;
    if (std::chrono::steady_clock::now() > deadline) throw IoError("playback stalled: the audio device stopped responding");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void PlaybackStream::finish() {
  impl_->st.input_done.store(true, std::memory_order_release);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(1.0 + kGraceSeconds);
  while (!impl_->st.drained.load(std::memory_order_acquire)) {
    if (std::chrono::steady_clock::now() > deadline) throw IoError("playback did not finish: the audio device stopped responding");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  check(Pa_StopStream(impl_->stream.get()), "cannot stop playback");
}

Waveform record(double seconds, int rate) {
  if (!(seconds > 0) || seconds > 3600) throw InvalidArgument("record: --seconds must be in (0, 3600]");
  if (rate < 8000 || rate > 192000) throw InvalidArgument("record: rate must be in [8000, 192000]");
  PaSession pa;
  const PaDeviceIndex dev = Pa_GetDefaultInputDevice();
  if (dev == paNoDevice) throw IoError("no audio input device (PortAudio found none)");
  StreamState st(static_cast<std::size_t>(rate));
  PaStreamParameters p{dev, 1, paFloat32, Pa_GetDeviceInfo(dev)->defaultLowInputLatency, nullptr};
  PaStream* raw = nullptr;
  check(Pa_OpenStream(&raw, &p, nullptr, rate, paFramesPerBufferUnspecified, paNoFlag,
                      record_callback, &st),
        "cannot open the audio input");
  StreamPtr stream(raw);
  Waveform w;
  w.rate = rate;
  const std::size_t want = static_cast<std::size_t>(seconds * rate);
  w.samples.resize(want);
  std::size_t got = 0;
  check(Pa_StartStream(stream.get()), "cannot start recording");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds + kGraceSeconds);
  while (got < want) {
    got += st.ring.pop(w.samples.data() + got, want - got);
    if (std::chrono::steady_clock::now() > deadline) throw IoError("recording stalled: the audio device delivered no samples");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  check(Pa_StopStream(stream.get()), "cannot stop recording");
  return w;
}

}  // namespace dubkit
