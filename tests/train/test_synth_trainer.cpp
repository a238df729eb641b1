// The synthesizer trainer on a tiny corpus: durations from phone timings, exact resume,
// validation outputs, that a few dozen steps lower the loss, the full-band preset with a second
// corpus, and the loss's band mask.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>

#include "audio/mel_preset.hpp"
#include "audio/resample.hpp"
#include "core/error.hpp"
#include "core/safetensors.hpp"
#include "corpus/manifest.hpp"
#include "support.hpp"
#include "synth/tts.hpp"
#include "train/synth_batch.hpp"
#include "train/synth_trainer.hpp"
#include "train/tiny_corpus.hpp"
#include "vocoder/vocoder.hpp"

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

TEST_CASE("a dubkit-22k synthesizer trains on two corpora and speaks at 22050 Hz", "[train][synth]") {
  SynthTrainOptions o = tiny_options(test::temp_dir("synth_22k"));
  o.model.mel_preset = "dubkit-22k";
  o.more_corpora = {test::tiny_corpus()};  // its train utterances once more: the same union of symbols
  o.steps = 2;
  CHECK(std::isfinite(train_synthesizer(o).val_mel_l1));
  TextToSpeech tts(o.out_dir + "/synthesizer.safetensors");
  CHECK(tts.preset().name == "dubkit-22k");
  CHECK(tts.sample_rate() == 22050);
  CHECK(synthesizer_mel_preset(o.out_dir + "/synthesizer.safetensors") == "dubkit-22k");
  const std::vector<float> speaker(static_cast<std::size_t>(tts.speaker_dim()), 0.0625f);
  SayOptions say;
  std::string text;  // a sentence espeak-ng spoke in the corpus: every phone of it has a symbol
  for (const CorpusUtterance& u : read_manifest(test::tiny_corpus()))
    if (u.base_voice.rfind("espeak", 0) == 0 && text.empty()) text = u.text, say.lang = u.lang;
  std::size_t samples = 0;
  const SayReport r = tts.say(text, speaker, say, *open_vocoder("griffinlim", 2, "dubkit-22k"),
                              [&](const Waveform& w) {
                                CHECK(w.rate == 22050);
                                samples += w.samples.size();
                              });
  CHECK(samples == static_cast<std::size_t>(r.sentences.front().durations.total_frames) * 256);
  // A 16 kHz vocoder does not take its mels.
  CHECK_THROWS_WITH(tts.say(text, speaker, say, *open_vocoder("griffinlim", 2), [](const Waveform&) {}),
                    Catch::Contains("dubkit-22k"));
}

TEST_CASE("the loss leaves out the bands a recording's own rate cannot hold", "[train][synth]") {
  const MelAnalyzer& full = shared_mel_analyzer("dubkit-22k");
  const torch::Tensor flite = recorded_bands(full, 16000), espeak = recorded_bands(full, 22050);
  CHECK(espeak.sum().item<double>() == 80);
  CHECK(recorded_bands(full, 0).sum().item<double>() == 80);
  const long kept = flite.sum().item<long>();
  CHECK(kept > 60);  // the bands to 8 kHz
  CHECK(kept < 80);
  // Independently of the filter edges: 22050 Hz noise passed through 16 kHz keeps the level of
  // every kept band (within 3 dB) and loses more than that in every left-out one.
  std::mt19937 rng(5);
  std::normal_distribution<float> g(0.0f, 0.1f);
  Waveform wide{22050, std::vector<float>(44100)};
  for (float& v : wide.samples) v = g(rng);
  const FeatureMatrix a = full.compute(wide), n = full.compute(resample(resample(wide, 16000), 22050));
  constexpr float kDb = 8.0f / 100;  // the preset's [-4, 4] spans 100 dB
  for (int band = 0; band < 80; ++band) {
    float lost = 0;
    for (int t = 8; t < a.cols - 8; ++t) lost += (a.at(band, t) - n.at(band, t)) / (a.cols - 16);
    INFO("band " << band << " lost " << lost / kDb << " dB");
    CHECK((lost < 3 * kDb) == (flite[band].item<float>() == 1.0f));
  }
  CHECK(recorded_bands(shared_mel_analyzer("wav2lip-16k"), 16000).sum().item<double>() == 80);  // 55-7600 Hz

  // Changing the target in a left-out band leaves the loss as it was; in a kept band it does not.
  torch::manual_seed(2);
  SynthItem item;
  item.phones = torch::tensor(std::vector<std::int64_t>{1, 2});
  item.durations = torch::tensor(std::vector<float>{3, 3});
  item.mel = torch::rand({6, 80}) * 8 - 4;
  item.speaker = torch::zeros({4});
  item.bands = flite;
  SynthesizerOutput out;
  out.mel = out.mel_decoder = torch::zeros({1, 6, 80});
  out.log_durations = torch::zeros({1, 2});
  const double before = synthesizer_loss(out, collate_synth_batch({&item}, 80), 1.0).item<double>();
  SynthItem changed = item;
  changed.mel = item.mel.clone();
  changed.mel.narrow(1, 79, 1).fill_(3.0f);
  CHECK(synthesizer_loss(out, collate_synth_batch({&changed}, 80), 1.0).item<double>() == before);
  changed.mel.narrow(1, 0, 1).fill_(3.0f);
  CHECK(synthesizer_loss(out, collate_synth_batch({&changed}, 80), 1.0).item<double>() != before);
}
