// dubkit vocode: mel -> audio through any vocoder, from a mel file or by analysis-resynthesis.
#include <chrono>
#include <cstdio>
#include <memory>

#include "audio/io.hpp"
#include "audio/mel_file.hpp"
#include "audio/resample.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/progress.hpp"
#include "tools/commands.hpp"
#include "vocoder/vocoder.hpp"

namespace dubkit::cli {

void register_vocode(CLI::App& app) {
  struct Opts {
    std::string in, mel, out, save_mel, vocoder = "default";
    int griffin_lim_iterations = 60;  // offline: quality over speed (say streams with 32)
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("vocode", "Mel -> audio: a mel file, or analysis-resynthesis of an audio file");
  cmd->footer("Example: dubkit vocode samples/sample.wav -o /tmp/resynth.wav\n"
              "         dubkit vocode --mel line.safetensors -o line.wav --vocoder griffinlim\n"
              "         dubkit vocode speech.wav -o out.wav --vocoder generator_v1   (public HiFi-GAN, config.json beside it)");
  cmd->add_option("IN", o->in, "Input audio (analysed with the vocoder's mel preset)");
  cmd->add_option("--mel", o->mel, "Input mel file instead: safetensors with 'mel' [n_mels, T] and metadata 'preset' (as dubkit audio mel writes)");
  cmd->add_option("-o,--output", o->out, "Output audio file, at the vocoder's sample rate")->required();
  cmd->add_option("--vocoder", o->vocoder, std::string("default (models/") + kDefaultVocoder + "), griffinlim, or a vocoder file")
      ->capture_default_str();
  cmd->add_option("--griffin-lim-iterations", o->griffin_lim_iterations, "Griffin-Lim iterations (--vocoder griffinlim)")
      ->capture_default_str();
  cmd->add_option("--save-mel", o->save_mel, "Also write the mel that was vocoded (safetensors)");
  cmd->add_flag("--json", o->json, "Print a summary as JSON");
  cmd->callback([o] {
    if (o->in.empty() == o->mel.empty()) throw InvalidArgument("vocode: give exactly one input: an audio file or --mel");
    const std::string input = o->in.empty() ? o->mel : o->in;
    const std::unique_ptr<Vocoder> vocoder = open_vocoder(vocoder_spec(o->vocoder), o->griffin_lim_iterations);
    const MelPreset& preset = vocoder->preset();
    check_audio_output(o->out, preset.sample_rate, 1, SampleFormat::Pcm16, {input});  // fail before the work
    if (!o->save_mel.empty()) check_output_path(o->save_mel, {input, o->out});
    FeatureMatrix mel;
    std::size_t input_samples = 0;
    if (!o->mel.empty()) {
      MelFile f = read_mel_file(o->mel);
      if (!f.preset.empty() && f.preset != preset.name)
        throw InvalidArgument(o->mel + " holds " + f.preset + " features; vocoder " + vocoder->name() + " takes " + preset.name);
      mel = std::move(f.mel);
      try {
        vocoder->check_mel(mel);
      } catch (const InvalidArgument& e) {
        throw FormatError(o->mel + ": " + e.what());  // the file's content is at fault, not the command line
      }
    } else {
      const Waveform in = resample(read_mono(o->in), preset.sample_rate);
      input_samples = in.samples.size();
      mel = vocoder->analyzer().compute(in);
    }
    const auto t0 = std::chrono::steady_clock::now();
    Waveform out = vocoder->vocode(mel);
    // Resynthesis keeps the input's length (the last frame's samples run up to a hop past it).
    if (input_samples) out.samples.resize(input_samples, 0.0f);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    write_audio(o->out, out, SampleFormat::Pcm16, {input});
    if (!o->save_mel.empty()) write_mel_file(o->save_mel, mel, preset.name);
    if (o->json)
      print_json({{"output", o->out}, {"vocoder", vocoder->name()}, {"preset", preset.name},
                  {"frames", mel.cols}, {"seconds", out.seconds()}, {"real_time_factor", secs / out.seconds()}});
    else
      std::fprintf(stderr, "wrote %s: %.2f s at %d Hz with %s, real-time factor %.3f\n", o->out.c_str(), out.seconds(),
                   out.rate, vocoder->name().c_str(), secs / out.seconds());
  });
}

}  // namespace dubkit::cli
