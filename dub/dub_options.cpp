#include "dub/dub_options.hpp"

#include <filesystem>

#include "core/error.hpp"

namespace fs = std::filesystem;

namespace dubkit {

void DubOptions::validate() const {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw InvalidArgument("dub: " + what);
  };
  need(!video.empty(), "--video is required");
  need(!script.empty(), "--script is required");
  need(fs::path(output).extension() == ".mp4", "-o '" + output + "' must be an .mp4 (the signed manifest is embedded as a box)");
  need(!synthesizer.empty() && !vocoder.empty() && !lipsync_model.empty() && !sync_expert.empty(), "model files are required");
  need(keep_original_under < 0 || background.empty(), "--background and --keep-original-audio-under exclude each other");
  need(keep_original_under < 0 || keep_original_under <= 60, "--keep-original-audio-under must be in [0, 60] dB");
  need(margin >= 0 && margin <= 2, "--margin must be in [0, 2] seconds");
  need(face >= -1, "--face must be a track id or -1");
  need(threads >= 1 && threads <= 64, "--threads must be in [1, 64]");
  for (const std::string& in : {video, script, background})
    need(in.empty() || fs::absolute(in).lexically_normal() != fs::absolute(output).lexically_normal(),
         "-o '" + output + "' must not be one of the inputs");
  fit.validate();
  mix.validate();
}

}  // namespace dubkit
