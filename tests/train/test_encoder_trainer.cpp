// The GE2E loss, the EER metric and its trials, and the encoder trainer's exact resume on a tiny
// corpus.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include "audio/io.hpp"
#include "core/safetensors.hpp"
#include "corpus/builder.hpp"
#include "support.hpp"
#include "train/encoder_trainer.hpp"
#include "train/speaker_eval.hpp"
#include "voice/verification.hpp"

using namespace dubkit;
namespace fs = std::filesystem;

TEST_CASE("GE2E loss: separated speakers score low, mixed ones high", "[train]") {
  const torch::Tensor w = torch::full({1}, 10.0), b = torch::full({1}, -5.0);
  // 3 speakers x 4 utterances: each speaker's utterances near its own axis.
  torch::manual_seed(3);
  torch::Tensor good = torch::eye(3).unsqueeze(1).repeat({1, 4, 1}) + 0.05 * torch::randn({3, 4, 3});
  good = good / good.norm(2, 2, true);
  torch::Tensor mixed = torch::randn({3, 4, 3});
  mixed = mixed / mixed.norm(2, 2, true);
  const double l_good = ge2e_loss(good, w, b).item<double>(), l_mixed = ge2e_loss(mixed, w, b).item<double>();
  CHECK(l_good < 0.01);
  CHECK(l_mixed > 0.5);
  // Gradients reach the embeddings and the scale.
  torch::Tensor e = mixed.clone().requires_grad_(true), ww = w.clone().requires_grad_(true);
  ge2e_loss(e, ww, b).backward();
  CHECK(e.grad().abs().sum().item<double>() > 0);
  CHECK(ww.grad().abs().item<double>() > 0);
}

TEST_CASE("equal error rate of known score lists", "[train]") {
  // Perfectly separated: EER 0, threshold between the groups.
  EerResult r = equal_error_rate({0.8, 0.9, 0.95}, {0.1, 0.2, 0.3, 0.4});
  CHECK(r.eer == Approx(0).margin(1e-9));
  CHECK(r.threshold > 0.4);
  CHECK(r.threshold <= 0.8);
  // One same trial below one different trial out of 4 each: 25%.
  r = equal_error_rate({0.3, 0.7, 0.8, 0.9}, {0.1, 0.2, 0.4, 0.6});
  CHECK(r.eer == Approx(0.25).margin(1e-9));
  CHECK(r.same_trials == 4);
}

TEST_CASE("encoder training resumes exactly where it stopped", "[train]") {
  CorpusOptions c;
  c.out_dir = test::temp_dir("train_corpus");
  c.hours = 0.02;
  c.speakers = 12;  // 2 train speakers per language
  c.seed = 3;
  build_corpus(c);

  EncoderTrainOptions o;
  o.corpus_dir = c.out_dir;
  o.steps = 4;
  o.speakers = 3;
  o.utterances = 2;
  o.frames = 40;
  o.model.hidden = 16;
  o.model.layers = 2;
  o.model.embedding = 8;
  o.checkpoint_every = 2;
  o.validate_every = 2;
  o.threads = 1;

  o.out_dir = test::temp_dir("train_straight");
  const EncoderTrainReport straight = train_encoder(o);
  CHECK(straight.steps == 4);
  CHECK(straight.val_eer >= 0);
  CHECK(straight.val_eer <= 1);

  EncoderTrainOptions first = o;
  first.out_dir = test::temp_dir("train_resumed");
  first.steps = 2;
  train_encoder(first);
  EncoderTrainOptions second = o;
  second.out_dir = first.out_dir;
  second.resume = true;
  const EncoderTrainReport resumed = train_encoder(second);
  CHECK(resumed.final_loss == straight.final_loss);

  const SafetensorsFile a(o.out_dir + "/encoder.safetensors"), b(first.out_dir + "/encoder.safetensors");
  for (const TensorView& t : a.tensors()) {
    INFO(t.name);
    CHECK(t.to_float() == b.at(t.name).to_float());  // bit for bit
  }
  CHECK(a.metadata().count("dubkit.threshold") == 1);
  std::ifstream csv(first.out_dir + "/loss.csv");
  int lines = 0;
  for (std::string line; std::getline(csv, line);) ++lines;
  CHECK(lines == 5);  // header + 4 steps, none repeated
  CHECK(fs::file_size(first.out_dir + "/loss.png") > 1000);
}

TEST_CASE("encoder training draws on a second corpus and on pseudo-speakers of the main one", "[train]") {
  CorpusOptions c;
  c.hours = 0.02;
  c.speakers = 12;  // 2 train speakers per language
  c.seed = 4;
  c.out_dir = test::temp_dir("train_main_corpus");
  build_corpus(c);
  const std::string main_corpus = c.out_dir;
  c.seed = 5;
  c.out_dir = test::temp_dir("train_more_corpus");
  build_corpus(c);

  EncoderTrainOptions o;
  o.corpus_dir = main_corpus;
  o.out_dir = test::temp_dir("train_more");
  o.steps = 1;
  o.speakers = 14;  // more than either corpus has train speakers
  o.utterances = 2;
  o.frames = 40;
  o.model.hidden = 16;
  o.model.layers = 1;
  o.model.embedding = 8;
  o.checkpoint_every = 1;
  o.validate_every = 1;
  o.threads = 1;
  CHECK_THROWS_WITH(train_encoder(o), Catch::Contains("fewer than --speakers 14"));

  // 6 main + 6 more + 6 x 1 pseudo-speakers of the main ones = 18 speakers: enough.
  o.more_corpora = {c.out_dir};
  o.pseudo_speakers = 1;
  o.pseudo_seconds = 4;
  o.main_share = 0.5;
  const EncoderTrainReport r = train_encoder(o);
  CHECK(r.steps == 1);
  CHECK(std::isfinite(r.final_loss));
}

TEST_CASE("speaker evaluation makes no trial of two speakers of one group", "[train]") {
  // Three speakers of two tones each; a corpus whose speakers.json names no groups, and one that
  // puts the first two in one group (as a real corpus does for KLettres' letters and syllables).
  const std::string plain = test::temp_dir("eval_plain"), grouped = test::temp_dir("eval_grouped");
  std::vector<CorpusUtterance> manifest;
  const std::vector<std::string> speakers = {"a", "b", "c"};
  for (std::size_t k = 0; k < speakers.size(); ++k)
    for (int i = 0; i < 2; ++i) {
      CorpusUtterance u;
      u.speaker = speakers[k];
      u.split = "test";
      u.path = "wav/" + u.speaker + std::to_string(i) + ".wav";
      u.duration = 1.5;
      for (const std::string& dir : {plain, grouped}) {
        fs::create_directories(dir + "/wav");
        write_audio(dir + "/" + u.path, test::test_tone(16000, u.duration, 120.0 + 40.0 * k + 7.0 * i));
      }
      manifest.push_back(u);
    }
  std::ofstream(grouped + "/speakers.json")
      << R"([{"id": "a", "group": "g"}, {"id": "b", "group": "g"}, {"id": "c", "group": "c"}])" << "\n";
  CHECK(read_speaker_groups(grouped) == std::map<std::string, std::string>{{"a", "g"}, {"b", "g"}, {"c", "c"}});
  CHECK(read_speaker_groups(plain).empty());

  SpeakerEncoderConfig cfg;
  cfg.hidden = 16;
  cfg.layers = 1;
  cfg.embedding = 8;
  SpeakerEncoder encoder(cfg);
  encoder->eval();
  SpeakerEvalOptions o;
  o.per_speaker = 2;
  o.seconds = 1.0;
  const SpeakerEvalResult all = evaluate_speakers(encoder, plain, manifest, o);
  const SpeakerEvalResult by_group = evaluate_speakers(encoder, grouped, manifest, o);
  // 3 speakers x 2 pieces: 3 same pairs; 12 different pairs, of which the 4 between the two
  // grouped speakers are no trial.
  CHECK(all.same.size() == 3);
  CHECK(all.different.size() == 12);
  CHECK(by_group.same == all.same);
  CHECK(by_group.different.size() == 8);
}
