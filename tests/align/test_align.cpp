// The phone aligner: class folding, the Viterbi search on hand-made matrices, boundary
// measures, festival labels, model files, a tiny training run (loss falls, exact resume), and
// flite sentences aligned by the trained model.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "align/aligner.hpp"
#include "align/boundary_eval.hpp"
#include "align/festival_labels.hpp"
#include "align/forced_align.hpp"
#include "align/phone_classes.hpp"
#include "audio/io.hpp"
#include "audio/resample.hpp"
#include "core/error.hpp"
#include "core/safetensors.hpp"
#include "core/weight_file.hpp"
#include "corpus/engines.hpp"
#include "corpus/manifest.hpp"
#include "support.hpp"
#include "train/aligner_trainer.hpp"

using namespace dubkit;
namespace fs = std::filesystem;

namespace {

int cls(const std::string& ipa) {
  const auto& names = phone_class_names();
  const auto it = std::find(names.begin(), names.end(), ipa);
  REQUIRE(it != names.end());
  return static_cast<int>(it - names.begin());
}

// Scores that favour class `path[t]` at frame t by 0 against -5 for every other class.
FrameScores scores_for(const std::vector<int>& path, int classes) {
  FrameScores s(static_cast<int>(path.size()), classes);
  for (int t = 0; t < s.frames; ++t)
    for (int c = 0; c < classes; ++c) s.at(t, c) = c == path[static_cast<std::size_t>(t)] ? 0.0f : -5.0f;
  return s;
}

BaseVoice flite_voice(const std::string& id) {
  for (const BaseVoice& v : base_voices({"en"}))
    if (v.id == id) return v;
  FAIL("no base voice " << id);
  return {};
}

Waveform at_16k(const Waveform& w) { return w.rate == 16000 ? w : resample(w, 16000); }

// Six flite utterances written as a corpus (5 train, 1 val): a trainer's input in a second.
const std::string& tiny_flite_corpus() {
  static const std::string dir = [] {
    const std::string d = test::temp_dir("align_corpus");
    const std::vector<std::string> texts = {"The cat sat on the mat.", "A quiet river runs to the sea.",
                                            "Seven green apples fell down.", "She sells shells by the shore.",
                                            "Bring the red box over here.", "Good morning, dear friend."};
    std::ofstream manifest(d + "/manifest.jsonl");
    for (std::size_t i = 0; i < texts.size(); ++i) {
      const BaseVoice v = flite_voice(i % 2 ? "flite-awb" : "flite-slt");
      const SpokenUtterance s = speak(v, texts[i], 1);
      CorpusUtterance u;
      u.id = v.id + "_" + std::to_string(i);
      u.speaker = v.id;
      u.split = i + 1 == texts.size() ? "val" : "train";
      u.path = "wav/" + u.id + ".wav";
      u.lang = "en";
      u.base_voice = v.id;
      u.text = texts[i];
      u.phonemes = "-";
      const Waveform w = at_16k(s.wave);
      u.duration = double(w.samples.size()) / w.rate;
      u.phones = s.phones;
      fs::create_directories(d + "/wav");
      write_audio(d + "/" + u.path, w);
      manifest << to_json_line(u) << "\n";
    }
    return d;
  }();
  return dir;
}

AlignerTrainOptions tiny_training(const std::string& out) {
  AlignerTrainOptions o;
  o.corpus_dir = tiny_flite_corpus();
  o.out_dir = out;
  o.steps = 4;
  o.batch = 4;
  o.frames = 80;
  o.lr = 3e-2;
  o.warmup = 1;
  o.model.channels = 16;
  o.model.conv_layers = 2;
  o.model.lstm_hidden = 8;
  o.checkpoint_every = 2;
  o.validate_every = 2;
  o.threads = 1;
  return o;
}

}  // namespace

TEST_CASE("phone classes strip stress length and palatalisation to the base letter", "[align]") {
  CHECK(phone_class("ˈa") == cls("a"));
  CHECK(phone_class("aː") == cls("a"));
  CHECK(phone_class("tʲ") == cls("t"));
  CHECK(phone_class("ɕː") == cls("ʃ"));
  CHECK(phone_class("n̩") == cls("n"));
  CHECK(phone_class("ɑ̃") == cls("ɑ"));
  CHECK(phone_class("kʰ") == cls("k"));
  CHECK(phone_class("iː") == cls("i"));
  CHECK(strip_phone_marks("ˈaːʲ") == "a");
}

TEST_CASE("phone classes keep diphthongs and affricates and map unseen letters to a neighbour", "[align]") {
  CHECK(phone_class("aɪ") == cls("aɪ"));
  CHECK(phone_class("aɪɚ") == cls("aɪ"));  // longest prefix in the inventory
  CHECK(phone_class("ɔːɹ") == cls("ɔ"));
  CHECK(phone_class("ɔø") == cls("ɔɪ"));   // German eu: an equivalent
  CHECK(phone_class("oɪ") == cls("ɔɪ"));
  CHECK(phone_class("tʃ") == cls("tʃ"));
  CHECK(phone_class("t͡ʃ") == cls("tʃ"));   // tie bar stripped
  CHECK(phone_class("tɕ") == cls("tʃ"));
  CHECK(phone_class("ts") == cls("ts"));
  CHECK(phone_class("ʁ") == cls("r"));
  CHECK(phone_class("ɬ") == cls("l"));
  CHECK(phone_class("ʂ") == cls("ʃ"));
  CHECK(phone_class("ɯ") == cls("u"));
  CHECK(phone_class("ᵻ") == cls("ɨ"));
  CHECK(phone_class("g") == cls("ɡ"));      // ASCII g
  CHECK(phone_class_kind(cls("aɪ")) == PhoneKind::Vowel);
  CHECK(phone_class_kind(cls("ts")) == PhoneKind::Consonant);
}

TEST_CASE("phone classes make pauses of silence names punctuation and lone marks", "[align]") {
  for (const char* p : {"_", "pau", "sil", " ", ",", ".", "?", "ˈ", "ː", ""}) {
    INFO(p);
    CHECK(phone_class(p) == kPauseClass);
  }
  CHECK(phone_class("??") == kOtherClass);   // espeak-ng's unknown phoneme
  CHECK(phone_class("ǃ") == kOtherClass);    // a click: no neighbour in the inventory
  CHECK(phone_class("\xff") == kOtherClass);
  CHECK(phone_class(std::string("\xc3", 1)) == kOtherClass);  // invalid UTF-8
  CHECK(phone_class_kind(kPauseClass) == PhoneKind::Pause);
  CHECK_THROWS_AS(phone_class_kind(phone_class_count()), InvalidArgument);
  // Every corpus phone of English, Spanish and German lands on a real class.
  for (const char* p : {"ɾ", "ð", "ʎ", "ʝ", "ç", "x", "β", "ɣ", "ɲ", "yː", "øː", "œ", "ɐ", "ɚ", "ɝ", "əl", "pf", "ʔ"}) {
    INFO(p);
    CHECK(phone_class(p) != kOtherClass);
    CHECK(phone_class(p) != kPauseClass);
  }
}

TEST_CASE("forced alignment recovers the sequence of a hand-made matrix exactly", "[align]") {
  // Phones a b a c over 10 frames: a a a b b a c c c c.
  const std::vector<int> truth = {0, 0, 0, 1, 1, 0, 2, 2, 2, 2};
  const ForcedAlignment a = forced_align(scores_for(truth, 4), {0, 1, 0, 2});
  REQUIRE(a.spans.size() == 4);
  CHECK(a.spans[0].begin == 0);
  CHECK(a.spans[0].end == 3);
  CHECK(a.spans[1].begin == 3);
  CHECK(a.spans[1].end == 5);
  CHECK(a.spans[2].begin == 5);
  CHECK(a.spans[2].end == 6);
  CHECK(a.spans[3].begin == 6);
  CHECK(a.spans[3].end == 10);
  CHECK(a.score == Approx(0.0));
}

TEST_CASE("forced alignment is monotonic and gives every phone a frame", "[align]") {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-8.0f, 0.0f);
  for (int trial = 0; trial < 20; ++trial) {
    FrameScores s(60, 5);
    for (float& v : s.data) v = u(rng);
    std::vector<int> phones;
    for (int i = 0; i < 1 + trial; ++i) phones.push_back(static_cast<int>(rng() % 5));
    const ForcedAlignment a = forced_align(s, phones);
    REQUIRE(a.spans.size() == phones.size());
    CHECK(a.spans.front().begin == 0);
    CHECK(a.spans.back().end == 60);
    double score = 0;
    for (std::size_t i = 0; i < a.spans.size(); ++i) {
      CHECK(a.spans[i].frames() >= 1);
      if (i > 0) CHECK(a.spans[i].begin == a.spans[i - 1].end);
      for (int t = a.spans[i].begin; t < a.spans[i].end; ++t) score += s.at(t, phones[i]);
    }
    CHECK(a.score == Approx(score).epsilon(1e-5));
  }
}

TEST_CASE("forced alignment lets optional pauses take no frames", "[align]") {
  // Phones _ a _ b _, frames a a b b: every pause skipped.
  const ForcedAlignment a = forced_align(scores_for({1, 1, 2, 2}, 3), {0, 1, 0, 2, 0}, {true, false, true, false, true});
  REQUIRE(a.spans.size() == 5);
  CHECK(a.spans[0].frames() == 0);
  CHECK(a.spans[1].begin == 0);
  CHECK(a.spans[1].end == 2);
  CHECK(a.spans[2].frames() == 0);
  CHECK(a.spans[2].begin == 2);
  CHECK(a.spans[3].begin == 2);
  CHECK(a.spans[3].end == 4);
  CHECK(a.spans[4].begin == 4);
  CHECK(a.spans[4].end == 4);
  // A pause that is there is found: a _ _ b.
  const ForcedAlignment b = forced_align(scores_for({1, 0, 0, 2}, 3), {1, 0, 2}, {false, true, false});
  CHECK(b.spans[1].begin == 1);
  CHECK(b.spans[1].end == 3);
}

TEST_CASE("forced alignment refuses fewer frames than phones and bad input", "[align]") {
  CHECK_THROWS_AS(forced_align(scores_for({0, 1}, 3), {0, 1, 2}), InvalidArgument);
  CHECK_NOTHROW(forced_align(scores_for({0, 1}, 3), {0, 1, 2}, {false, true, false}));  // the optional one can give way
  CHECK_THROWS_AS(forced_align(scores_for({0, 1}, 3), {}), InvalidArgument);
  CHECK_THROWS_AS(forced_align(scores_for({0, 1}, 3), {0, 3}), InvalidArgument);
  CHECK_THROWS_AS(forced_align(scores_for({0, 1}, 3), {0, 1}, {true}), InvalidArgument);
  FrameScores nan = scores_for({0, 1}, 3);
  nan.at(1, 1) = std::nanf("");
  CHECK_THROWS_AS(forced_align(nan, {0, 1}), InvalidArgument);
  try {
    forced_align(scores_for({0, 1}, 3), {0, 1, 2});
  } catch (const InvalidArgument& e) {
    CHECK_THAT(e.what(), Catch::Contains("2 frames") && Catch::Contains("3 phones"));
  }
}

TEST_CASE("frame labels and frame spans follow the 10 ms frame centres", "[align]") {
  const std::vector<PhoneSpan> phones = {{"_", 0.0, 0.032}, {"a", 0.032, 0.071}, {"t", 0.071, 0.1}};
  // Centres 0, 10, ... 100 ms: _ _ _ _ a a a a t t t(past the end: pause).
  const std::vector<int> labels = frame_class_labels(phones, 11);
  const std::vector<int> expected = {0, 0, 0, 0, cls("a"), cls("a"), cls("a"), cls("a"), cls("t"), cls("t"), 0};
  CHECK(labels == expected);
  const std::vector<PhoneSpan> times = frame_spans_to_times({{0, 4}, {4, 8}, {8, 11}}, {"_", "a", "t"}, 0.1);
  CHECK(times[0].start == 0.0);
  CHECK(times[0].end == Approx(0.035));
  CHECK(times[1].end == Approx(0.075));
  CHECK(times[2].end == Approx(0.1));
  const std::vector<PhoneSpan> empty = frame_spans_to_times({{0, 4}, {4, 4}, {4, 11}}, {"a", "_", "t"}, 0.1);
  CHECK(empty[1].start == empty[1].end);
  CHECK(alignable_phones({"ˈ", "h", "ɛ", "l", " ", "oʊ", ",", " ", "w", "ɜː", "l", "d", "."}) ==
        std::vector<std::string>{"h", "ɛ", "l", "oʊ", "_", "w", "ɜː", "l", "d", "_"});
}

TEST_CASE("boundary errors of a hand-made segmentation", "[align]") {
  const std::vector<PhoneSpan> ref = {{"_", 0, 0.1}, {"a", 0.1, 0.2}, {"b", 0.2, 0.3}, {"_", 0.3, 0.5}};
  const std::vector<PhoneSpan> hyp = {{"_", 0, 0.105}, {"a", 0.105, 0.23}, {"b", 0.23, 0.34}, {"_", 0.34, 0.5}};
  const BoundaryErrors e = boundary_errors(ref, hyp);
  REQUIRE(e.errors_ms.size() == 3);
  const BoundarySummary s = summarize(e);
  CHECK(s.scored == 3);
  CHECK(s.reference == 3);
  CHECK(s.mean_abs_ms == Approx((5.0 + 30.0 + 40.0) / 3));
  CHECK(s.median_abs_ms == Approx(30.0));
  CHECK(s.within_tolerance == Approx(1.0 / 3));
  CHECK_THROWS_AS(boundary_errors(ref, {hyp[0]}), InvalidArgument);
  CHECK(summarize(BoundaryErrors{}).scored == 0);
}

TEST_CASE("boundaries are matched across phone sets and only matched pairs are scored", "[align]") {
  // Reference (festival-like): _ p rʲ i v ʲe t _ ; hypothesis (espeak-like): _ p r ʲi v e t (no final pause,
  // an extra "ə" inserted).
  const std::vector<PhoneSpan> ref = {{"_", 0, 0.1}, {"p", 0.1, 0.15}, {"rʲ", 0.15, 0.2}, {"i", 0.2, 0.3},
                                      {"v", 0.3, 0.35}, {"e", 0.35, 0.45}, {"t", 0.45, 0.5}, {"_", 0.5, 0.7}};
  const std::vector<PhoneSpan> hyp = {{"_", 0, 0.11}, {"p", 0.11, 0.15}, {"r", 0.15, 0.21}, {"ɪ", 0.21, 0.3},
                                      {"v", 0.3, 0.33}, {"ə", 0.33, 0.36}, {"e", 0.36, 0.45}, {"t", 0.45, 0.7},
                                      {"_", 0.7, 0.7}};
  const auto pairs = match_phone_sequences(phone_classes({"_", "p", "r", "i", "v", "e", "t", "_"}),
                                           phone_classes({"_", "p", "r", "ɪ", "v", "ə", "e", "t"}));
  // i ~ ɪ is a substitution within the vowels; ə is inserted; the final pause deleted.
  CHECK(pairs == std::vector<std::pair<int, int>>{{0, 0}, {1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 6}, {6, 7}});
  const BoundaryErrors e = matched_boundary_errors(ref, hyp);
  CHECK(e.reference_boundaries == 7);
  // Scored: _|p p|r r|i i|v e|t (v|e has the inserted ə between on one side; t|_ has no match).
  REQUIRE(e.errors_ms.size() == 5);
  CHECK(e.errors_ms[0] == Approx(10.0));
  CHECK(e.errors_ms[2] == Approx(10.0));
  CHECK(e.errors_ms[4] == Approx(0.0));
  // Across kinds nothing is substituted: a vowel never matches a consonant.
  CHECK(match_phone_sequences({cls("a")}, {cls("t")}).empty());
}

TEST_CASE("festival labels are read and the msu_ru phones map to IPA", "[align]") {
  const std::string dir = test::temp_dir("align_festival");
  std::ofstream(dir + "/ru_0001.lab") << "separator ;\nnfields 1\n#\n0.34200 125 pau\n0.39200 125 k\n0.42200 125 ay\n";
  std::ofstream(dir + "/bad.lab") << "#\n0.5 125 a\n0.4 125 b\n";
  const auto labels = read_festival_labels(dir + "/ru_0001.lab");
  REQUIRE(labels.size() == 3);
  CHECK(labels[0].phone == "pau");
  CHECK(labels[0].start == 0.0);
  CHECK(labels[1].start == Approx(0.342));
  CHECK(labels[2].end == Approx(0.422));
  CHECK_THROWS_AS(read_festival_labels(dir + "/bad.lab"), FormatError);
  CHECK_THROWS_AS(read_festival_labels(dir + "/missing.lab"), IoError);
  CHECK(msu_ru_phone_to_ipa("tt") == "tʲ");
  CHECK(phone_class(msu_ru_phone_to_ipa("sch")) == cls("ʃ"));
  CHECK(phone_class(msu_ru_phone_to_ipa("ch")) == cls("tʃ"));
  CHECK(phone_class(msu_ru_phone_to_ipa("pau")) == kPauseClass);
  CHECK_THROWS_AS(msu_ru_phone_to_ipa("qq"), InvalidArgument);
}

TEST_CASE("an aligner model file keeps its config, classes and prior", "[align]") {
  AlignerModelConfig c;
  c.channels = 8;
  c.conv_layers = 1;
  c.lstm_hidden = 4;
  torch::manual_seed(1);
  AlignerNet net(c);
  net->set_log_prior(torch::log_softmax(torch::randn({phone_class_count()}), 0));
  const std::string path = test::temp_dir("align_model") + "/aligner.safetensors";
  save_aligner_model(path, net, {{"dubkit.prior_scale", "0.4"}});
  const Aligner aligner(path);
  CHECK(aligner.prior_scale() == Approx(0.4));
  const Waveform w = test::test_tone(16000, 0.5);
  const FrameScores lp = aligner.log_posteriors(w);
  CHECK(lp.frames == 1 + 8000 / 160);
  CHECK(lp.classes == phone_class_count());
  net->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor direct = net->forward(aligner_features(w).unsqueeze(0)).squeeze(0);
  CHECK(direct[10][3].item<float>() == Approx(lp.at(10, 3)));
  const std::vector<PhoneSpan> spans = aligner.align(w, {"_", "a", "t", "_"});
  REQUIRE(spans.size() == 4);
  CHECK(spans.front().start == 0.0);
  CHECK(spans.back().end == Approx(0.5));
  CHECK_THROWS_AS(aligner.align(resample(w, 8000), {"a"}), InvalidArgument);
  CHECK_THROWS_AS(aligner.align(w, std::vector<std::string>(60, "a")), InvalidArgument);  // 51 frames
  // Another class inventory is refused by name.
  const TensorDict weights = load_weight_file(path);
  write_safetensors(path + ".other", weights, {{"dubkit.model", "aligner"}, {"dubkit.config", c.to_json()},
                                              {"dubkit.classes", "[\"_\", \"a\"]"}});
  CHECK_THROWS_AS(Aligner(path + ".other"), FormatError);
}

TEST_CASE("aligner training on a tiny flite corpus lowers the loss and resumes exactly", "[align][train]") {
  AlignerTrainOptions o = tiny_training(test::temp_dir("align_train_long"));
  o.steps = 30;
  o.validate_every = 30;
  o.checkpoint_every = 30;
  std::vector<double> losses;
  const AlignerTrainReport r = train_aligner(o, [&](long, double loss) { losses.push_back(loss); });
  REQUIRE(losses.size() == 30);
  CHECK(r.steps == 30);
  const double first = (losses[0] + losses[1] + losses[2]) / 3, last = (losses[27] + losses[28] + losses[29]) / 3;
  INFO("first " << first << ", last " << last);
  CHECK(last < 0.75 * first);
  CHECK(r.val_frame_accuracy > 0);
  CHECK(fs::exists(o.out_dir + "/aligner.safetensors"));
  CHECK(fs::exists(o.out_dir + "/loss.csv"));
  const Aligner trained(o.out_dir + "/aligner.safetensors");
  CHECK(trained.prior_scale() == Approx(r.prior_scale).margin(1e-4));

  // 4 steps straight against 2 + 2 resumed: the same weights, bit for bit.
  const AlignerTrainOptions straight = tiny_training(test::temp_dir("align_train_straight"));
  train_aligner(straight);
  AlignerTrainOptions first_half = tiny_training(test::temp_dir("align_train_resumed"));
  first_half.steps = 2;
  train_aligner(first_half);
  AlignerTrainOptions second_half = tiny_training(first_half.out_dir);
  second_half.resume = true;
  train_aligner(second_half);
  const TensorDict a = load_weight_file(straight.out_dir + "/aligner.safetensors");
  const TensorDict b = load_weight_file(second_half.out_dir + "/aligner.safetensors");
  REQUIRE(a.size() == b.size());
  for (const auto& [name, t] : a.items()) {
    INFO(name);
    REQUIRE(b.find(name));
    const bool same = b.at(name).data == t.data;
    CHECK(same);
  }
  // A resumed run with other options is refused.
  AlignerTrainOptions other = second_half;
  other.steps = 6;
  other.batch = 3;
  CHECK_THROWS_AS(train_aligner(other), InvalidArgument);
}

// Needs a trained model in models/ (or $DUBKIT_ALIGNER_MODEL): flite's own phone times for
// sentences held out of the corpus (heldout_sentences.en.txt), in each flite voice.
TEST_CASE("the trained aligner places flite phones of unseen sentences within 20 ms", "[align][model]") {
  const char* env = std::getenv("DUBKIT_ALIGNER_MODEL");
  const std::string model = env && *env ? env : DUBKIT_MODELS_DIR "/aligner.safetensors";
  INFO("model " << model << " (train one: dubkit train aligner, then copy its aligner.safetensors there)");
  REQUIRE(fs::exists(model));
  const Aligner aligner(model);
  const std::vector<std::pair<std::string, std::string>> lines = {
      {"flite-slt", "It is in the power of my hand to do you hurt."},
      {"flite-awb", "And Joseph went out over all the land of Egypt."},
      {"flite-rms", "So she went and came unto the man of God to mount Carmel."},
      {"flite-kal16", "and when he had broken it, he began to eat."},
      {"flite-slt", "His hands are as gold rings set with the beryl."},
      {"flite-awb", "ye see my casting down, and are afraid."}};
  BoundaryErrors all;
  for (const auto& [voice, text] : lines) {
    const SpokenUtterance u = speak(flite_voice(voice), text, 3);
    std::vector<std::string> phones;
    for (const PhoneSpan& p : u.phones) phones.push_back(p.phone);
    const std::vector<PhoneSpan> aligned = aligner.align(at_16k(u.wave), phones);
    const BoundaryErrors e = boundary_errors(u.phones, aligned);
    INFO(voice << ": " << text << ": " << summarize(e).within_tolerance);
    all.add(e);
  }
  const BoundarySummary s = summarize(all);
  INFO("mean " << s.mean_abs_ms << " ms, " << 100 * s.within_tolerance << "% within 20 ms of " << s.scored);
  CHECK(s.within_tolerance >= 0.8);
}
