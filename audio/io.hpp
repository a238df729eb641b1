// Audio file reading and writing through libsndfile (WAV, FLAC, OGG/Vorbis and whatever else
// the installed libsndfile reads). Reads reject NaN/Inf samples, empty and truncated files
// with a FormatError naming the file; writes are atomic (temporary name, then rename).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "audio/waveform.hpp"

namespace dubkit {

struct AudioInfo {
  std::string format;       // container and encoding, e.g. "WAV (Microsoft) / Signed 16 bit PCM"
  int rate = 0;             // Hz
  int channels = 0;
  long long frames = 0;     // samples per channel
  double seconds() const { return rate > 0 ? static_cast<double>(frames) / rate : 0.0; }
};

// Interleaved multichannel audio as read from a file.
struct AudioData {
  AudioInfo info;
  std::vector<float> interleaved;  // frames * channels samples
};

// Sample rates the readers accept; a file outside them is a FormatError naming its rate.
constexpr int kMinAudioRate = 1000, kMaxAudioRate = 768000;

AudioInfo probe_audio(const std::string& path);
AudioData read_audio(const std::string& path);
// Reads and mixes all channels down to mono by averaging.
Waveform read_mono(const std::string& path);
Waveform mix_to_mono(const AudioData& audio);

// Reads a file in pieces, mixed to mono, so files of any length can be processed in bounded
// memory. Not thread-safe (one reader per thread).
class MonoReader {
 public:
  explicit MonoReader(const std::string& path);  // throws FormatError
  ~MonoReader();
  MonoReader(const MonoReader&) = delete;
  MonoReader& operator=(const MonoReader&) = delete;
  const AudioInfo& info() const { return info_; }
  // Up to `max_frames` next samples (mono, at info().rate); empty at the end of the file.
  // Throws FormatError on a non-finite sample.
  std::vector<float> read(std::size_t max_frames);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  AudioInfo info_;
  std::string path_;
  long long position_ = 0;
};

enum class SampleFormat { Pcm16, Pcm24, Float32 };

// Checks, before any work, that write_audio could write `path` (known extension, a format
// libsndfile accepts at this rate and channel count, an existing directory, not an input).
// Throws InvalidArgument or IoError.
void check_audio_output(const std::string& path, int rate, int channels,
                        SampleFormat format = SampleFormat::Pcm16,
                        const std::vector<std::string>& inputs = {});

// The container comes from the extension (.wav, .flac, .ogg); OGG is always Vorbis and FLAC
// at most 24-bit. Samples outside [-1, 1] are clipped by PCM encodings. `inputs` are paths the
// output must not overwrite.
void write_audio(const std::string& path, const Waveform& wave,
                 SampleFormat format = SampleFormat::Pcm16,
                 const std::vector<std::string>& inputs = {});
void write_audio(const std::string& path, const AudioData& audio,
                 SampleFormat format = SampleFormat::Pcm16,
                 const std::vector<std::string>& inputs = {});

// Writes audio as it is made, in pieces, in write_audio's formats: memory stays flat however
// long the audio. The file goes to a temporary name beside `path`, renamed into place by
// commit(); destroyed uncommitted, it leaves nothing. Throws as write_audio. Not thread-safe.
class AudioFileWriter {
 public:
  AudioFileWriter(const std::string& path, int rate, int channels = 1, SampleFormat format = SampleFormat::Pcm16,
                  const std::vector<std::string>& inputs = {});
  ~AudioFileWriter();
  AudioFileWriter(const AudioFileWriter&) = delete;
  AudioFileWriter& operator=(const AudioFileWriter&) = delete;

  void write(const float* interleaved, std::size_t frames);  // throws IoError
  // Closes and renames the file into place. Throws InvalidArgument when nothing was written,
  // IoError.
  void commit();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
  long long frames_ = 0;
};

}  // namespace dubkit
