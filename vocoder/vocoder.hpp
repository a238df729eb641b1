// One interface over every vocoder dubkit runs, and the file format of dubkit's own.
//
//   "griffinlim"                  no weights (vocoder/griffin_lim.hpp)
//   X.safetensors                 a dubkit vocoder: metadata dubkit.model = "vocoder",
//                                 dubkit.architecture = "convnext-istft" | "hifigan",
//                                 dubkit.config = that architecture's config JSON
//   X.pt / X.pth / generator_*    a public HiFi-GAN checkpoint ({'generator': ...}); its config is
//                                 the release's config.json in the same directory
//   SV2TTS WaveRNN checkpoint     ({'model_state': ...}, known by its tensor names) or a dubkit
//                                 WaveRNN file (dubkit.model = "wavernn"): SV2TTS sizes
//
// Input: features [n_mels, T] of the vocoder's mel preset, T >= 1 frames, all finite. Output:
// T * hop samples at the preset's rate, sample n at the centre of frame n / hop.
//
// Thread safety: vocode() may be called from one thread at a time per Vocoder.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "audio/features.hpp"
#include "audio/mel_preset.hpp"
#include "audio/waveform.hpp"

namespace torch::nn {
class Module;
}

namespace dubkit {

class Vocoder {
 public:
  virtual ~Vocoder() = default;
  virtual std::string name() const = 0;          // architecture and file, for reports and manifests
  const MelAnalyzer& analyzer() const { return *analyzer_; }
  const MelPreset& preset() const { return analyzer_->preset(); }

  // Throws InvalidArgument when `mel` fails check_mel().
  Waveform vocode(const FeatureMatrix& mel) const;
  // The same audio handed over in pieces as soon as each exists: Griffin-Lim streams blocks of
  // about a second; the neural vocoders hand over the whole span at once (they take a small
  // fraction of its duration). Same checks as vocode().
  virtual void vocode_stream(const FeatureMatrix& mel, const std::function<void(const std::vector<float>&)>& on_audio) const;

  // InvalidArgument when `mel` has the wrong number of rows for the preset, no frames, or a
  // non-finite value (naming the frame). Callers reading mels from files check first, to report
  // the file.
  void check_mel(const FeatureMatrix& mel) const;

 protected:
  // `preset` names the features the model in `source` takes; FormatError naming `source` when
  // dubkit does not know it, or when it disagrees with the model's bands, hop or rate.
  Vocoder(const std::string& preset, const std::string& source, long n_mels, long hop, long sample_rate);
  virtual Waveform run(const FeatureMatrix& mel) const = 0;

 private:
  std::unique_ptr<MelAnalyzer> analyzer_;
};

// "griffinlim" or a file (see the top of this header). Throws IoError / FormatError naming the
// file. `griffin_lim_iterations` and `griffin_lim_preset` (the features it inverts) apply to
// Griffin-Lim only.
std::unique_ptr<Vocoder> open_vocoder(const std::string& name_or_path, int griffin_lim_iterations = 32,
                                      const std::string& griffin_lim_preset = "wav2lip-16k");

// Writes a dubkit vocoder file: the module's weights (float16 with `half`) and the metadata
// above plus `extra`.
void save_vocoder(const std::string& path, const torch::nn::Module& model, const std::string& architecture,
                  const std::string& config_json, std::map<std::string, std::string> extra = {}, bool half = false);

}  // namespace dubkit
