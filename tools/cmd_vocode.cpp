// dubkit vocode: analysis-resynthesis through a mel preset and a vocoder.
#include <chrono>
#include <cstdio>
#include <memory>

#include "audio/io.hpp"
#include "audio/mel_preset.hpp"
#include "audio/resample.hpp"
#include "core/error.hpp"
#include "core/progress.hpp"
#include "tools/commands.hpp"
#include "vocoder/griffin_lim.hpp"

namespace dubkit::cli {

void register_vocode(CLI::App& app) {
  struct Opts {
    std::string in, out, vocoder = "griffinlim", preset = "wav2lip-16k";
    GriffinLimConfig gl;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("vocode", "Analysis-resynthesis: audio -> mel preset -> vocoder -> audio");
  cmd->footer("Example: dubkit vocode samples/sample.wav -o /tmp/resynth.wav --vocoder griffinlim");
  cmd->add_option("IN", o->in, "Input audio file")->required();
  cmd->add_option("-o,--output", o->out, "Output audio file, at the preset's sample rate")->required();
  cmd->add_option("--vocoder", o->vocoder, "Vocoder: griffinlim")
      ->check(CLI::IsMember({"griffinlim"}))->capture_default_str();
  cmd->add_option("--preset", o->preset, "Mel preset the audio goes through")->capture_default_str();
  cmd->add_option("--iterations", o->gl.iterations, "Griffin-Lim iterations")->capture_default_str();
  cmd->add_option("--momentum", o->gl.momentum, "Griffin-Lim momentum (0 = classic)")->capture_default_str();
  cmd->add_option("--seed", o->gl.seed, "Seed of the initial phases")->capture_default_str();
  cmd->add_flag("--json", o->json, "Print a summary as JSON");
  cmd->callback([o] {
    o->gl.validate();
    const MelAnalyzer analyzer(mel_preset(o->preset));
    if (analyzer.preset().scale == FeatureScale::Mfcc)
      throw InvalidArgument("--preset " + o->preset + " holds MFCCs, which no vocoder can invert");
    check_audio_output(o->out, analyzer.preset().sample_rate, 1, SampleFormat::Pcm16, {o->in});  // fail before the work
    const Waveform in = resample(read_mono(o->in), analyzer.preset().sample_rate);
    const auto t0 = std::chrono::steady_clock::now();
    const FeatureMatrix mel = analyzer.compute(in);
    Progress progress("griffin-lim", o->gl.iterations, !o->json);
    const Waveform out = griffin_lim_from_features(mel, analyzer, o->gl,
                                                   [&](int i) { progress.update(i); });
    progress.done();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    write_audio(o->out, out, SampleFormat::Pcm16, {o->in});
    if (o->json)
      print_json({{"output", o->out}, {"vocoder", o->vocoder}, {"preset", analyzer.preset().name},
                  {"frames", mel.cols}, {"seconds", out.seconds()}, {"real_time_factor", secs / out.seconds()}});
    else
      std::fprintf(stderr, "wrote %s: %.2f s at %d Hz, real-time factor %.3f\n", o->out.c_str(), out.seconds(),
                   out.rate, secs / out.seconds());
  });
}

}  // namespace dubkit::cli
