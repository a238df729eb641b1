#include "audio/io.hpp"

#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace dubkit {

namespace {

struct SndfileCloser {
  void operator()(SNDFILE* f) const { sf_close(f); }
};
using SndfilePtr = std::unique_ptr<SNDFILE, SndfileCloser>;

// 10 hours of 8-channel 96 kHz float: beyond that a header is lying or the file is not ours.
// 2^30 floats (4 GiB): about 18 hours of 16 kHz mono. Longer input is read in pieces by the
// callers that need it, never here.
constexpr long long kMaxSamples = 1LL << 30;
// A header's length claim reserves at most this much up front; the read loop grows the rest
// as samples actually arrive.
constexpr std::size_t kMaxReserve = std::size_t{1} << 24;

SndfilePtr open_read(const std::string& path, SF_INFO& info) {
  info = SF_INFO{};
  SndfilePtr f(sf_open(path.c_str(), SFM_READ, &info));
  if (!f) throw FormatError("cannot read audio '" + path + "': " + sf_strerror(nullptr));
  return f;
}

std::string format_name(int format) {
  SF_FORMAT_INFO major{}, sub{};
  major.format = format & SF_FORMAT_TYPEMASK;
  sub.format = format & SF_FORMAT_SUBMASK;
  std::string s;
  s += sf_command(nullptr, SFC_GET_FORMAT_INFO, &major, sizeof(major)) == 0 ? major.name : "unknown";
  s += " / ";
  s += sf_command(nullptr, SFC_GET_FORMAT_INFO, &sub, sizeof(sub)) == 0 ? sub.name : "unknown";
  return s;
}

AudioInfo to_info(const SF_INFO& sf) {
  AudioInfo a;
  a.format = format_name(sf.format);
  a.rate = sf.samplerate;
  a.channels = sf.channels;
  a.frames = static_cast<long long>(sf.frames);
  return a;
}

}  // namespace

AudioInfo probe_audio(const std::string& path) {
  SF_INFO sf;
  SndfilePtr f = open_read(path, sf);
  return to_info(sf);
}

namespace {

// libsndfile reads past a WAV/AIFF header whose data chunk claims more bytes than the file
// holds, clamping the length; its log is the only place that says so ("data : 16000 (should
// be 7978)"). A file cut short in transfer must not pass as a shorter recording.
void check_chunk_sizes(SNDFILE* f, const std::string& path) {
  char log[4096] = {};
  sf_command(f, SFC_GET_LOG_INFO, log, sizeof(log));
  const char* line = std::strstr(log, "data : ");
  if (!line) return;
  unsigned long long claimed = 0, actual = 0;
  if (std::sscanf(line, "data : %llu (should be %llu)", &claimed, &actual) == 2 && claimed > actual)
    throw FormatError("'" + path + "' is truncated or corrupt: its header promises " + std::to_string(claimed) +
                      " bytes of samples, the file holds " + std::to_string(actual));
}

// Rates outside what any recording uses are refused (issue 22, item 16): a file declaring 1 Hz
// would be resampled 16000-fold by the first stage that needs 16 kHz.
void check_stream(const AudioInfo& info, const std::string& path) {
  if (info.rate < kMinAudioRate || info.rate > kMaxAudioRate)
    throw FormatError("'" + path + "': sample rate " + std::to_string(info.rate) + " Hz is outside " +
                      std::to_string(kMinAudioRate) + " to " + std::to_string(kMaxAudioRate) + " Hz");
  if (info.channels <= 0 || info.channels > 64)
    throw FormatError("'" + path + "': invalid channel count " + std::to_string(info.channels));
}

}  // namespace

AudioData read_audio(const std::string& path) {
  SF_INFO sf;
  SndfilePtr f = open_read(path, sf);
  AudioData a;
  a.info = to_info(sf);
  check_stream(a.info, path);
  // Ogg streams may not state their length (SF_COUNT_MAX): those are read to the end.
  const bool known_length = sf.frames >= 0 && sf.frames != SF_COUNT_MAX;
  if (known_length) {
    if (sf.frames == 0) throw FormatError("'" + path + "' holds no audio samples");
    if (sf.frames > kMaxSamples / sf.channels)
      throw FormatError("'" + path + "' claims " + std::to_string(sf.frames) + " frames, more than dubkit reads at once");
    check_chunk_sizes(f.get(), path);
    a.interleaved.reserve(std::min(static_cast<std::size_t>(sf.frames) * sf.channels, kMaxReserve));
  }
  constexpr sf_count_t kChunk = 1 << 16;
  std::vector<float> chunk(static_cast<std::size_t>(kChunk) * sf.channels);
  sf_count_t total = 0;
  for (sf_count_t got; (got = sf_readf_float(f.get(), chunk.data(), kChunk)) > 0;) {
    total += got;
    if (total > kMaxSamples / sf.channels)
      throw FormatError("'" + path + "' is longer than dubkit reads at once");
    a.interleaved.insert(a.interleaved.end(), chunk.begin(), chunk.begin() + got * sf.channels);
  }
  if (total == 0) throw FormatError("'" + path + "' holds no audio samples");
  if (known_length && total != sf.frames)
    throw FormatError("'" + path + "' is truncated or corrupt: its header promises " + std::to_string(sf.frames) +
                      " frames, " + std::to_string(total) + " could be decoded");
  a.info.frames = total;
  for (std::size_t i = 0; i < a.interleaved.size(); ++i)
    if (!std::isfinite(a.interleaved[i]))
      throw FormatError("'" + path + "' holds a non-finite sample (NaN or Inf) at frame " +
                        std::to_string(i / a.info.channels));
  return a;
}

Waveform mix_to_mono(const AudioData& audio) {
  Waveform w;
  w.rate = audio.info.rate;
  const int ch = audio.info.channels;
  const std::size_t frames = audio.interleaved.size() / ch;
  w.samples.resize(frames);
  for (std::size_t i = 0; i < frames; ++i) {
    float s = 0;
    for (int c = 0; c < ch; ++c) s += audio.interleaved[i * ch + c];
    w.samples[i] = s / ch;
  }
  return w;
}

Waveform read_mono(const std::string& path) { return mix_to_mono(read_audio(path)); }

struct MonoReader::Impl {
  SndfilePtr file;
};

MonoReader::MonoReader(const std::string& path) : impl_(std::make_unique<Impl>()), path_(path) {
  SF_INFO sf;
  impl_->file = open_read(path, sf);
  info_ = to_info(sf);
  check_stream(info_, path);
  check_chunk_sizes(impl_->file.get(), path);
}

MonoReader::~MonoReader() = default;

std::vector<float> MonoReader::read(std::size_t max_frames) {
  const int ch = info_.channels;
  std::vector<float> interleaved(max_frames * ch);
  const sf_count_t got = sf_readf_float(impl_->file.get(), interleaved.data(), static_cast<sf_count_t>(max_frames));
  std::vector<float> mono(static_cast<std::size_t>(std::max<sf_count_t>(got, 0)));
  for (std::size_t i = 0; i < mono.size(); ++i) {
    float s = 0;
    for (int c = 0; c < ch; ++c) s += interleaved[i * ch + c];
    if (!std::isfinite(s))
      throw FormatError("'" + path_ + "' holds a non-finite sample (NaN or Inf) at frame " + std::to_string(position_ + i));
    mono[i] = s / ch;
  }
  position_ += static_cast<long long>(mono.size());
  return mono;
}

namespace {

SF_INFO output_format(const std::string& path, int rate, int channels, SampleFormat format) {
  if (rate <= 0 || channels <= 0)
    throw InvalidArgument("'" + path + "': sample rate or channel count not set");
  const std::size_t dot = path.find_last_of('.');
  std::string ext = dot == std::string::npos ? "" : path.substr(dot);
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  SF_INFO sf{};
  sf.samplerate = rate;
  sf.channels = channels;
  const int sub = format == SampleFormat::Pcm16 ? SF_FORMAT_PCM_16
                  : format == SampleFormat::Pcm24 ? SF_FORMAT_PCM_24
                                                  : SF_FORMAT_FLOAT;
  if (ext == ".wav") sf.format = SF_FORMAT_WAV | sub;
  else if (ext == ".flac") sf.format = SF_FORMAT_FLAC | (sub == SF_FORMAT_FLOAT ? SF_FORMAT_PCM_24 : sub);
  else if (ext == ".ogg") sf.format = SF_FORMAT_OGG | SF_FORMAT_VORBIS;
  else throw InvalidArgument("'" + path + "': unknown audio extension (use .wav, .flac or .ogg)");
  if (!sf_format_check(&sf))
    throw InvalidArgument("'" + path + "': libsndfile cannot write this format at " + std::to_string(rate) +
                          " Hz, " + std::to_string(channels) + " channels");
  return sf;
}

}  // namespace

void check_audio_output(const std::string& path, int rate, int channels, SampleFormat format,
                        const std::vector<std::string>& inputs) {
  output_format(path, rate, channels, format);
  check_output_path(path, inputs);
}

void write_audio(const std::string& path, const Waveform& wave, SampleFormat format,
                 const std::vector<std::string>& inputs) {
  AudioData a;
  a.info.rate = wave.rate;
  a.info.channels = 1;
  a.info.frames = static_cast<long long>(wave.samples.size());
  a.interleaved = wave.samples;
  write_audio(path, a, format, inputs);
}

void write_audio(const std::string& path, const AudioData& audio, SampleFormat format,
                 const std::vector<std::string>& inputs) {
  const AudioInfo& ai = audio.info;
  if (audio.interleaved.empty()) throw InvalidArgument("write_audio '" + path + "': no samples");
  AudioFileWriter w(path, ai.rate, ai.channels, format, inputs);
  w.write(audio.interleaved.data(), audio.interleaved.size() / static_cast<std::size_t>(ai.channels));
  w.commit();
}

struct AudioFileWriter::Impl {
  AtomicOutput out;
  SndfilePtr file;
  Impl(const std::string& path, const std::vector<std::string>& inputs) : out(path, inputs) {}
};

AudioFileWriter::AudioFileWriter(const std::string& path, int rate, int channels, SampleFormat format,
                                 const std::vector<std::string>& inputs)
    : path_(path) {
  SF_INFO sf = output_format(path, rate, channels, format);
  impl_ = std::make_unique<Impl>(path, inputs);
  impl_->file.reset(sf_open(impl_->out.temp_path().c_str(), SFM_WRITE, &sf));
  if (!impl_->file) throw IoError("cannot write '" + path + "': " + sf_strerror(nullptr));
  // Clip instead of wrapping when float samples exceed full scale.
  sf_command(impl_->file.get(), SFC_SET_CLIPPING, nullptr, SF_TRUE);
}

AudioFileWriter::~AudioFileWriter() = default;

void AudioFileWriter::write(const float* interleaved, std::size_t frames) {
  if (!impl_->file) throw IoError("write on '" + path_ + "' after commit");
  const sf_count_t n = static_cast<sf_count_t>(frames);
  if (sf_writef_float(impl_->file.get(), interleaved, n) != n)
    throw IoError("write failed on '" + path_ + "': " + sf_strerror(impl_->file.get()));
  frames_ += n;
}

void AudioFileWriter::commit() {
  if (frames_ == 0) throw InvalidArgument("write_audio '" + path_ + "': no samples");
  // libsndfile writes the header and the last frames on close: a failure there is a failed
  // write, not a published file.
  if (sf_close(impl_->file.release()) != 0) throw IoError("write failed on '" + path_ + "' while closing it");
  impl_->out.commit();
}

}  // namespace dubkit
