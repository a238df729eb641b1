// The synthesizer trainer on a tiny corpus: durations from phone timings, exact resume,
// validation outputs, and that a few dozen steps lower the loss.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <numeric>

#include "core/error.hpp"
#include "core/safetensors.hpp"
#include "support.hpp"
#include "train/tiny_corpus.hpp"
#include "train/synth_trainer.hpp"

using namespace dubkit;
namespace fs = std::filesystem;

namespace {

SynthTrainOptions tiny_options(const std::string& out) {
  SynthTrainOptions o;
  o.corpus_dir = test::tiny_corpus();
  o.encoder_path = std::string(DUBKIT_MODELS_DIR) + "/speaker_encoder.safetensors";
  o.out_dir = out;
  o.batch = 2;
  o.warmup = 2;
  o.lr = 3e-3;
  o.model.symbol_dim = 16;
  o.model.encoder_lstm = 8;
  o.model.duration_channels = 8;
  o.model.prenet = 8;
  o.model.decoder_lstm = 16;
  o.model.postnet_channels = 8;
  o.checkpoint_every = 2;
  o.validate_every = 2;
  o.threads = 1;
  return o;
}

std::vector<double> losses(const std::string& csv_path) {
  std::ifstream csv(csv_path);
  std::vector<double> out;
  std::string line;
  std::getline(csv, line);  // header
  while (std::getline(csv, line)) out.push_back(std::stod(line.substr(line.find(',') + 1)));
  return out;
}

}  // namespace

TEST_CASE("phone durations land on the frame grid and sum to the mel length", "[train][synth]") {
  const std::vector<PhoneSpan> phones = {{"_", 0.0, 0.1}, {"a", 0.1, 0.2049}, {"b", 0.2049, 0.2063}, {"_", 0.2063, 0.31}};
  const std::vector<float> f = phone_frames(phones, 25, 80.0);
  // Boundaries 0.1 s -> 8, 16.392 -> 16, 16.504 -> 17; the last phone ends at the 25th frame.
  CHECK(f == std::vector<float>{8, 8, 1, 8});
  // A boundary past the mel's end is clamped; durations never go negative.
  CHECK(phone_frames({{"a", 0.0, 0.5}, {"b", 0.5, 0.6}}, 30, 80.0) == std::vector<float>{30, 0});
}

TEST_CASE("synthesizer training resumes exactly and writes its validation outputs", "[train][synth]") {
  SynthTrainOptions o = tiny_options(test::temp_dir("synth_straight"));
  o.steps = 4;
  const SynthTrainReport straight = train_synthesizer(o);
  CHECK(straight.steps == 4);
  CHECK(std::isfinite(straight.val_mel_l1));
  CHECK(std::isfinite(straight.val_duration_error));
  // A fresh run into a directory with checkpoints would mix two runs: refused before any work.
  CHECK_THROWS_AS(train_synthesizer(o), InvalidArgument);

  SynthTrainOptions first = o;
  first.out_dir = test::temp_dir("synth_resumed");
  first.steps = 2;
  train_synthesizer(first);
  SynthTrainOptions second = o;
  second.out_dir = first.out_dir;
  second.resume = true;
  const SynthTrainReport resumed = train_synthesizer(second);
  CHECK(resumed.final_loss == straight.final_loss);
  const SafetensorsFile a(o.out_dir + "/synthesizer.safetensors"), b(first.out_dir + "/synthesizer.safetensors");
  for (const TensorView& t : a.tensors()) {
    INFO(t.name);
    CHECK(t.to_float() == b.at(t.name).to_float());  // bit for bit
  }
  CHECK(losses(first.out_dir + "/loss.csv").size() == 4);
  for (const char* f : {"mel.png", "mel_truth.png", "alignment.png", "griffinlim.wav"})
    CHECK(fs::file_size(first.out_dir + "/val/step_0000004_" + f) > 1000);
}

TEST_CASE("a few dozen steps lower the synthesizer's loss", "[train][synth]") {
  SynthTrainOptions o = tiny_options(test::temp_dir("synth_learns"));
  o.steps = 40;
  o.validate_every = 40;
  o.checkpoint_every = 40;
  train_synthesizer(o);
  const std::vector<double> l = losses(o.out_dir + "/loss.csv");
  REQUIRE(l.size() == 40);
  const double early = std::accumulate(l.begin(), l.begin() + 5, 0.0) / 5;
  const double late = std::accumulate(l.end() - 5, l.end(), 0.0) / 5;
  CHECK(late < 0.7 * early);
}
