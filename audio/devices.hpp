// Audio devices through PortAudio: listing, playback and recording.
// On a machine without audio hardware every call fails fast with IoError ("no audio output
// device" etc.); none waits for a device that will never answer: playback and recording are
// bounded by their duration plus a grace period.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "audio/waveform.hpp"

namespace dubkit {

struct AudioDevice {
  int index = -1;
  std::string name;
  std::string host_api;
  int max_input_channels = 0;
  int max_output_channels = 0;
  double default_rate = 0;
  bool default_input = false;
  bool default_output = false;
};

std::string portaudio_version();
std::vector<AudioDevice> list_audio_devices();
// Plays on the default output device and returns when playback has finished.
void play(const Waveform& wave);
// Streaming playback on the default output device: audio is handed over piece by piece
// while earlier pieces play (a gap between pieces plays as silence). One producer thread.
class PlaybackStream {
 public:
  explicit PlaybackStream(int rate);  // opens and starts the stream; throws IoError
  ~PlaybackStream();                  // aborts playback when finish() was not reached
  PlaybackStream(const PlaybackStream&) = delete;
  PlaybackStream& operator=(const PlaybackStream&) = delete;
  // Blocks while the one-second buffer is full. Throws IoError when the device stops.
  void write(const std::vector<float>& samples);
  // Waits until everything written has played, then stops the stream.
  void finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Records `seconds` of mono audio at `rate` Hz from the default input device.
Waveform record(double seconds, int rate);

}  // namespace dubkit
