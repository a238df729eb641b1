// dubkit audio info | convert | mel
#include <cmath>
#include <cstdio>
#include <memory>

#include "audio/io.hpp"
#include "audio/mel_file.hpp"
#include "audio/level.hpp"
#include "audio/mel_preset.hpp"
#include "audio/resample.hpp"
#include "audio/spectrogram_image.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "tools/commands.hpp"

namespace dubkit::cli {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void add_info(CLI::App& audio) {
  auto* cmd = audio.add_subcommand("info", "Format, rate, channels, duration, peak and loudness of an audio file");
  auto file = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("FILE", *file, "Audio file (WAV, FLAC, OGG, ...)")->required();
  cmd->footer("Example: dubkit audio info samples/sample.wav --json");
  cmd->add_flag("--json", *json, "Print the result as JSON");
  cmd->callback([file, json] {
    const AudioData a = read_audio(*file);
    const Waveform mono = mix_to_mono(a);
    const double pk = peak(mono);
    const double lufs = integrated_loudness(mono);
    const double pk_db = pk > 0 ? 20 * std::log10(pk) : -INFINITY;
    if (*json) {
      nlohmann::ordered_json j{{"file", *file}, {"format", a.info.format}, {"rate", a.info.rate},
                               {"channels", a.info.channels}, {"frames", a.info.frames},
                               {"seconds", a.info.seconds()}, {"peak", pk}};
      j["peak_dbfs"] = std::isfinite(pk_db) ? nlohmann::ordered_json(pk_db) : nullptr;
      j["loudness_lufs"] = std::isfinite(lufs) ? nlohmann::ordered_json(lufs) : nullptr;
      print_json(j);
      return;
    }
    std::printf("file:      %s\nformat:    %s\nrate:      %d Hz\nchannels:  %d\nduration:  %.3f s (%lld frames)\n",
                file->c_str(), a.info.format.c_str(), a.info.rate, a.info.channels, a.info.seconds(), a.info.frames);
    std::printf("peak:      %.4f (%.2f dBFS)\n", pk, pk_db);
    if (std::isfinite(lufs)) std::printf("loudness:  %.2f LUFS integrated (EBU R128)\n", lufs);
    else std::printf("loudness:  not measurable (silent or under 400 ms)\n");
  });
}

void add_convert(CLI::App& audio) {
  struct Opts {
    std::string in, out;
    int rate = 0;
    bool mono = false;
    double peak_db = NAN, lufs = NAN, trim_db = NAN;
    std::string format = "pcm16";
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = audio.add_subcommand("convert", "Convert between formats, rates and channel layouts");
  cmd->footer("Example: dubkit audio convert samples/sample.wav /tmp/sample.flac --rate 44100 --normalize-lufs -23");
  cmd->add_option("IN", o->in, "Input audio file")->required();
  cmd->add_option("OUT", o->out, "Output file; the extension picks the container (.wav, .flac, .ogg)")->required();
  cmd->add_option("--rate", o->rate, "Output sample rate in Hz (libsoxr, very high quality); 0 keeps the input's");
  cmd->add_flag("--mono", o->mono, "Mix all channels down to one");
  cmd->add_option("--trim", o->trim_db, "Trim leading/trailing audio quieter than this many dB below the loudest 25 ms (implies --mono)");
  cmd->add_option("--normalize-peak", o->peak_db, "Scale so the peak is this many dBFS (implies --mono)");
  cmd->add_option("--normalize-lufs", o->lufs, "Scale to this integrated loudness, e.g. -23 (implies --mono)");
  cmd->add_option("--format", o->format, "Sample format: pcm16, pcm24, float")
      ->check(CLI::IsMember({"pcm16", "pcm24", "float"}))->capture_default_str();
  cmd->callback([o] {
    const SampleFormat fmt = o->format == "pcm16" ? SampleFormat::Pcm16
                             : o->format == "pcm24" ? SampleFormat::Pcm24 : SampleFormat::Float32;
    if (o->rate < 0) throw InvalidArgument("--rate " + std::to_string(o->rate) + " is negative");
    AudioData a = read_audio(o->in);
    const bool mono = o->mono || !std::isnan(o->trim_db) || !std::isnan(o->peak_db) || !std::isnan(o->lufs);
    check_audio_output(o->out, o->rate ? o->rate : a.info.rate, mono ? 1 : a.info.channels, fmt, {o->in});
    if (!mono) {
      if (o->rate) a = resample(a, o->rate);
      write_audio(o->out, a, fmt, {o->in});
      return;
    }
    Waveform w = mix_to_mono(a);
    if (o->rate) w = resample(w, o->rate);
    if (!std::isnan(o->trim_db)) {
      trim_silence(w, o->trim_db);
      if (w.samples.empty()) throw Error("'" + o->in + "' is silent: nothing left after trimming");
    }
    if (!std::isnan(o->lufs)) normalize_loudness(w, o->lufs);
    if (!std::isnan(o->peak_db)) normalize_peak(w, o->peak_db);
    write_audio(o->out, w, fmt, {o->in});
  });
}

void add_mel(CLI::App& audio) {
  struct Opts {
    std::string in, out, preset = "wav2lip-16k";
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  std::string names;
  for (const MelPreset& p : mel_presets()) names += (names.empty() ? "" : ", ") + p.name;
  auto* cmd = audio.add_subcommand("mel", "Compute a preset's features: a safetensors tensor or a PNG picture");
  cmd->footer("Example: dubkit audio mel samples/sample.wav -o /tmp/sample_mel.png --preset wav2lip-16k");
  cmd->add_option("IN", o->in, "Input audio file (mixed to mono, resampled to the preset's rate)")->required();
  cmd->add_option("-o,--output", o->out, "OUT.safetensors (tensor 'mel', [n_features, frames]) or OUT.png")->required();
  cmd->add_option("--preset", o->preset, "Feature preset: " + names)->capture_default_str();
  cmd->add_flag("--json", o->json, "Print a summary as JSON");
  cmd->callback([o] {
    const bool png = ends_with(o->out, ".png");
    if (!png && !ends_with(o->out, ".safetensors"))
      throw InvalidArgument("-o '" + o->out + "': use a .safetensors or .png name");
    check_output_path(o->out, {o->in});
    const MelAnalyzer analyzer(mel_preset(o->preset));
    const MelPreset& p = analyzer.preset();
    const Waveform w = resample(read_mono(o->in), p.sample_rate);
    const FeatureMatrix m = analyzer.compute(w);
    const double fps = double(p.sample_rate) / p.stft.hop;
    if (png) {
      write_spectrogram_png(o->out, m, fps, o->in + "  |  " + p.name + "  |  " + std::to_string(m.rows) +
                                               " x " + std::to_string(m.cols) + " frames", {o->in});
    } else {
      write_mel_file(o->out, m, p.name,
                     {{"sample_rate", std::to_string(p.sample_rate)}, {"hop", std::to_string(p.stft.hop)}, {"source", o->in}});
    }
    if (o->json)
      print_json({{"output", o->out}, {"preset", p.name}, {"features", m.rows}, {"frames", m.cols},
                  {"frames_per_second", fps}});
    else
      std::fprintf(stderr, "wrote %s: %s, %d x %d\n", o->out.c_str(), p.name.c_str(), m.rows, m.cols);
  });
}

}  // namespace

void register_audio(CLI::App& app) {
  auto* audio = app.add_subcommand("audio", "Inspect, convert and analyse audio files");
  audio->require_subcommand(1);
  audio->footer("Example: dubkit audio info samples/sample.wav");
  add_info(*audio);
  add_convert(*audio);
  add_mel(*audio);
}

}  // namespace dubkit::cli
