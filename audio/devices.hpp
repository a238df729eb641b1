// Audio devices through PortAudio: listing, playback and recording.
// On a machine without audio hardware every call fails fast with IoError ("no audio output
// device" etc.); none waits for a device that will never answer: playback and recording are
// bounded by their duration plus a grace period.
#pragma once

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
// Records `seconds` of mono audio at `rate` Hz from the default input device.
Waveform record(double seconds, int rate);

}  // namespace dubkit
