// What a dub is made from and how: the inputs, the models, the fit, the mix and the lip-sync.
// Where it is published (key, trust, render log, disclosure, territory) is the render gate's
// (jobs/render_gate.hpp PublishOptions).
#pragma once

#include <cstdint>
#include <string>

#include "dub/line_fit.hpp"
#include "dub/mix.hpp"
#include "lipsync/compositor.hpp"

namespace dubkit {

struct DubOptions {
  std::string video, script, output;  // output: .mp4; its report is output + ".dub.json"
  std::string background;             // music-and-effects stem; "" = none
  double keep_original_under = -1;    // dB under which the original track plays during lines; < 0 = not kept
  std::string source_language = "en"; // language of the original, for the manifest ("" = unknown)
  std::string synthesizer, vocoder, lipsync_model, sync_expert;  // files ("griffinlim" allowed as vocoder)
  LineFitOptions fit;
  MixOptions mix;
  int face = -1;                      // track to re-render; -1 = largest
  double margin = 0.25;               // seconds of re-rendered frames before and after each line
  bool silence_gate = true;
  CompositeOptions composite;
  std::string work_dir;               // "" = output + ".work"
  bool resume = false, keep_work = false;
  std::uint64_t seed = 0;
  int threads = 2;                    // LibTorch threads for synthesis (the lip-sync generator uses 1)
  void validate() const;              // throws InvalidArgument naming the flag
  std::string work() const { return work_dir.empty() ? output + ".work" : work_dir; }
};

}  // namespace dubkit
