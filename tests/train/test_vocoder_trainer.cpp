// The vocoder trainer on a tiny corpus: exact resume across the switch from reconstruction to
// adversarial training, fine-tuning on synthesizer mels, and that training lowers the loss.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "core/safetensors.hpp"
#include "support.hpp"
#include "train/tiny_corpus.hpp"
#include "train/vocoder_trainer.hpp"
#include "vocoder/vocoder.hpp"

using namespace dubkit;
namespace fs = std::filesystem;

namespace {

VocoderTrainOptions tiny_options(const std::string& out) {
  VocoderTrainOptions o;
  o.corpus_dir = test::tiny_corpus();
  o.out_dir = out;
  o.batch = 2;
  o.segment = 1600;
  o.warmup = 4;
  o.gan_start = 2;
  o.disc_width = 1.0 / 16;
  o.model.dim = 16;
  o.model.intermediate = 32;
  o.model.layers = 1;
  o.checkpoint_every = 2;
  o.validate_every = 2;
  o.threads = 1;
  return o;
}

}  // namespace

TEST_CASE("vocoder training resumes exactly across the start of adversarial training", "[train][vocoder]") {
  VocoderTrainOptions o = tiny_options(test::temp_dir("vocoder_straight"));
  o.steps = 4;
  const VocoderTrainReport straight = train_vocoder(o);
  CHECK(straight.steps == 4);
  CHECK(std::isfinite(straight.val_mel_l1));
  CHECK_THROWS_AS(train_vocoder(o), InvalidArgument);  // a fresh run over old checkpoints

  VocoderTrainOptions first = o;
  first.out_dir = test::temp_dir("vocoder_resumed");
  // Stops one step after the switch (the discriminators' Adam state is then in the checkpoint);
  // all steps are warm-up, whose rate does not depend on the total.
  first.steps = 3;
  train_vocoder(first);
  VocoderTrainOptions other = o;
  other.out_dir = first.out_dir;
  other.resume = true;
  other.batch = 3;
  CHECK_THROWS_WITH(train_vocoder(other), Catch::Contains("'batch' was 2"));
  VocoderTrainOptions second = o;
  second.out_dir = first.out_dir;
  second.resume = true;
  const VocoderTrainReport resumed = train_vocoder(second);
  CHECK(resumed.final_loss == straight.final_loss);
  const SafetensorsFile a(o.out_dir + "/vocoder.safetensors"), b(first.out_dir + "/vocoder.safetensors");
  for (const TensorView& t : a.tensors()) CHECK(t.to_float() == b.at(t.name).to_float());  // bit for bit
  CHECK(fs::file_size(first.out_dir + "/val/step_0000004.wav") > 1000);
  // The result is a vocoder file dubkit opens by path.
  const auto v = open_vocoder(o.out_dir + "/vocoder.safetensors");
  CHECK(v->preset().name == "wav2lip-16k");
}

TEST_CASE("vocoder fine-tuning on synthesizer mels and from an initial model", "[train][vocoder]") {
  VocoderTrainOptions o = tiny_options(test::temp_dir("vocoder_base"));
  o.steps = 1;
  train_vocoder(o);
  VocoderTrainOptions tune = tiny_options(test::temp_dir("vocoder_tune"));
  tune.steps = 1;
  tune.init = o.out_dir + "/vocoder.safetensors";
  tune.finetune_synth = std::string(DUBKIT_MODELS_DIR) + "/synthesizer.safetensors";
  tune.encoder_path = std::string(DUBKIT_MODELS_DIR) + "/speaker_encoder.safetensors";
  CHECK(std::isfinite(train_vocoder(tune).val_mel_l1));
  // An initial model of another size is refused by name and shape.
  VocoderTrainOptions wrong = tiny_options(test::temp_dir("vocoder_wrong"));
  wrong.model.dim = 24;
  wrong.init = o.out_dir + "/vocoder.safetensors";
  CHECK_THROWS_WITH(train_vocoder(wrong), Catch::Contains("vocoder.safetensors") && Catch::Contains("expected"));
}

TEST_CASE("a HiFi-GAN of any configuration trains on the corpus preset", "[train][vocoder]") {
  VocoderTrainOptions o = tiny_options(test::temp_dir("vocoder_hifigan"));
  o.architecture = "hifigan";
  o.hifigan_config = o.out_dir + "/config.json";
  std::ofstream(o.hifigan_config) << R"({"resblock": "2", "upsample_rates": [5, 5, 8], "upsample_kernel_sizes": [11, 11, 16],
    "upsample_initial_channel": 16, "resblock_kernel_sizes": [3], "resblock_dilation_sizes": [[1, 2]],
    "num_mels": 80, "sampling_rate": 16000, "hop_size": 200, "mel_preset": "wav2lip-16k"})";
  o.steps = 2;
  o.gan_start = 1;
  CHECK(std::isfinite(train_vocoder(o).val_mel_l1));
  const auto v = open_vocoder(o.out_dir + "/vocoder.safetensors");
  CHECK(v->name().find("hifigan") == 0);
  CHECK(v->vocode(FeatureMatrix(80, 3)).samples.size() == 600);
  // The public 22 kHz configs train on the corpus's 22050 Hz copy.
  VocoderTrainOptions public_v3 = tiny_options(test::temp_dir("vocoder_hifigan_v3"));
  public_v3.architecture = "hifigan";
  public_v3.hifigan_config = test::fixture("hifigan_v3_config.json");
  public_v3.segment = 2560;  // a whole number of its 256-sample hops
  public_v3.steps = 1;
  public_v3.gan_start = 10;
  CHECK(std::isfinite(train_vocoder(public_v3).val_mel_l1));
  CHECK(open_vocoder(public_v3.out_dir + "/vocoder.safetensors")->preset().name == "hifigan-22k");
}

TEST_CASE("the default network trains on the full-band dubkit-22k preset", "[train][vocoder]") {
  VocoderTrainOptions o = tiny_options(test::temp_dir("vocoder_22k"));
  o.model.mel_preset = "dubkit-22k";  // window, hop and rate follow the preset
  o.segment = 2560;
  o.steps = 2;
  o.gan_start = 1;
  CHECK(std::isfinite(train_vocoder(o).val_mel_l1));
  const auto v = open_vocoder(o.out_dir + "/vocoder.safetensors");
  CHECK(v->preset().name == "dubkit-22k");
  const Waveform w = v->vocode(FeatureMatrix(80, 3));
  CHECK(w.rate == 22050);
  CHECK(w.samples.size() == 3 * 256);
  o.model.mel_preset = "dubkit-48k";
  o.out_dir = test::temp_dir("vocoder_unknown_preset");
  CHECK_THROWS_WITH(train_vocoder(o), Catch::Contains("unknown mel preset 'dubkit-48k'") && Catch::Contains("dubkit-22k"));
}

TEST_CASE("a few dozen steps lower the vocoder's reconstruction error on held-out audio", "[train][vocoder]") {
  // The log-mel error of whole val utterances (fixed audio, unlike the training excerpts, whose
  // loudness varies so much that their loss is too noisy to compare).
  VocoderTrainOptions o = tiny_options(test::temp_dir("vocoder_learns_1"));
  o.gan_start = 1000;  // reconstruction only: the adversarial terms are not expected to fall
  o.lr = 3e-3;
  o.batch = 8;
  o.model.dim = 32;
  o.steps = 1;
  const double before = train_vocoder(o).val_mel_l1;
  o.out_dir = test::temp_dir("vocoder_learns_40");
  o.steps = 40;
  o.validate_every = 40;
  o.checkpoint_every = 40;
  const double after = train_vocoder(o).val_mel_l1;
  INFO("val log-mel L1 after 1 step " << before << ", after 40 " << after);
  CHECK(after < 0.8 * before);
}
