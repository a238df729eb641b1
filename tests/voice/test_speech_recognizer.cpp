// Word error rate on hand-worked cases, and the PocketSphinx recogniser on speech flite makes
// inside the test (seeded, so every run hears the same audio).
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <limits>
#include <thread>

#include "audio/resample.hpp"
#include "core/error.hpp"
#include "corpus/engines.hpp"
#include "support.hpp"
#include "voice/speech_recognizer.hpp"

using namespace dubkit;

namespace {

SpeechRecognizer& recognizer() {
  static SpeechRecognizer rec;
  return rec;
}

// Short sentences of common words, as a dubbing script would have them.
const std::vector<std::string> kSentences = {
    "the cat sat on the mat",
    "please call me when you get home tonight",
    "she opened the door and walked into the kitchen",
    "we need to buy some bread and milk before the store closes",
    "the weather was cold so they stayed inside and read a book",
};

BaseVoice flite_voice(const std::string& id) {
  for (const BaseVoice& v : base_voices({"en"}))
    if (v.id == id) return v;
  throw InvalidArgument("no base voice " + id);
}

void add(WordErrors& total, const WordErrors& e) {
  total.substitutions += e.substitutions;
  total.deletions += e.deletions;
  total.insertions += e.insertions;
  total.reference_words += e.reference_words;
}

}  // namespace

TEST_CASE("word errors: substitution, deletion, insertion", "[voice][wer]") {
  const std::string ref = "the cat sat on the mat";
  const WordErrors same = word_errors(ref, ref);
  CHECK(same.substitutions + same.deletions + same.insertions == 0);
  CHECK(same.reference_words == 6);
  CHECK(same.rate() == 0.0);

  const WordErrors sub = word_errors(ref, "the cat sat on the hat");
  CHECK(sub.substitutions == 1);
  CHECK(sub.deletions + sub.insertions == 0);
  CHECK(sub.rate() == Approx(1.0 / 6));

  const WordErrors del = word_errors(ref, "the cat on the mat");
  CHECK(del.deletions == 1);
  CHECK(del.substitutions + del.insertions == 0);

  const WordErrors ins = word_errors(ref, "the black cat sat on the mat");
  CHECK(ins.insertions == 1);
  CHECK(ins.substitutions + ins.deletions == 0);

  // a b c d -> a x c d e: b->x substituted, e inserted: 2 / 4.
  const WordErrors mixed = word_errors("a b c d", "a x c d e");
  CHECK(mixed.substitutions == 1);
  CHECK(mixed.insertions == 1);
  CHECK(mixed.deletions == 0);
  CHECK(mixed.rate() == 0.5);

  // Nothing heard: every reference word deleted. Far too much heard: WER above 1.
  const WordErrors none = word_errors("one two three", "");
  CHECK(none.deletions == 3);
  CHECK(none.rate() == 1.0);
  CHECK(word_errors("yes", "yes yes yes").rate() == 2.0);

  // "a b" -> "b a" is two substitutions or one deletion plus one insertion; the tie goes to
  // substitutions, as documented.
  const WordErrors swapped = word_errors("a b", "b a");
  CHECK(swapped.substitutions == 2);
  CHECK(swapped.deletions + swapped.insertions == 0);
}

TEST_CASE("word errors: an empty reference", "[voice][wer]") {
  CHECK(word_errors("", "").rate() == 0.0);
  CHECK(word_errors("  ...  ", "!").rate() == 0.0);  // punctuation only is no words
  const WordErrors e = word_errors("", "hello there");
  CHECK(e.insertions == 2);
  CHECK(e.reference_words == 0);
  CHECK(e.rate() == 2.0);  // N counts as 1: finite, one per inserted word
}

TEST_CASE("word errors: case, punctuation and whitespace are normalised", "[voice][wer]") {
  CHECK(word_errors("The cat, sat -- on THE mat!", "the cat sat on the mat").rate() == 0.0);
  CHECK(word_errors("  the\tcat\n\nsat  ", "the cat sat").rate() == 0.0);
  CHECK(normalize_words("Don't 'quote' me, rock'n'roll dogs' bones") ==
        std::vector<std::string>{"don't", "quote", "me", "rock'n'roll", "dogs", "bones"});
  // The apostrophe is part of a word: "it's" and "its" differ.
  CHECK(word_errors("it's here", "its here").substitutions == 1);
  // Hyphens and slashes break words; UTF-8 letters stay inside them.
  CHECK(normalize_words("well-known and/or Café") == std::vector<std::string>{"well", "known", "and", "or", "café"});
}

TEST_CASE("the recogniser hears flite's voices", "[voice][asr]") {
  // Measured with Debian 12's flite 2.2 and pocketsphinx 0.8+5prealpha+1-15 (seed 1):
  //   build/tests/test_voice "the recogniser hears flite's voices" -s
  //   flite-slt 8/47 = 0.170, flite-awb 1/47 = 0.021, flite-rms 3/47 = 0.064,
  //   flite-kal16 9/47 = 0.191; all four 21/188 = 0.112.
  // Both engines are deterministic, so these numbers repeat exactly; the bounds leave room for
  // a few words' drift with other builds of either. The same sentences read by espeak-ng's
  // en+m1, en+f2 and Klatt voices score 0.32 to 0.64, so the bounds still tell speech the
  // recogniser mostly gets from speech it mostly misses.
  WordErrors total;
  for (const char* id : {"flite-slt", "flite-awb", "flite-rms", "flite-kal16"}) {
    WordErrors voice;
    for (const std::string& sentence : kSentences) {
      const std::string heard = recognizer().transcribe(speak(flite_voice(id), sentence, 1).wave);
      UNSCOPED_INFO(id << ": \"" << sentence << "\" heard as \"" << heard << "\"");
      add(voice, word_errors(sentence, heard));
    }
    CAPTURE(id, voice.rate());
    CHECK(voice.rate() < 0.25);
    add(total, voice);
  }
  CAPTURE(total.substitutions, total.deletions, total.insertions, total.reference_words);
  CHECK(total.rate() < 0.15);
}

TEST_CASE("the recogniser takes any rate, silence is no words", "[voice][asr]") {
  const std::string sentence = kSentences[3];
  const Waveform wave = speak(flite_voice("flite-awb"), sentence, 1).wave;  // 16 kHz, heard exactly
  for (int rate : {22050, 44100, 48000}) {
    const std::string heard = recognizer().transcribe(resample(wave, rate));
    CAPTURE(rate, heard);
    CHECK(word_errors(sentence, heard).rate() == 0.0);  // measured: all three exact
  }
  CHECK(recognizer().transcribe(Waveform{16000, {}}).empty());
  CHECK(recognizer().transcribe(Waveform{16000, std::vector<float>(16000, 0.0f)}).empty());
  CHECK(recognizer().transcribe(Waveform{16000, {0.1f}}).empty());
}

TEST_CASE("the recogniser refuses bad audio", "[voice][asr][bad-input]") {
  CHECK_THROWS_AS(recognizer().transcribe(Waveform{0, {0.0f}}), InvalidArgument);
  Waveform nan{16000, std::vector<float>(1600, 0.0f)};
  nan.samples[100] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_WITH(recognizer().transcribe(nan), Catch::Contains("non-finite") && Catch::Contains("100"));
}

TEST_CASE("a missing model is a clear error, not an exit", "[voice][asr][bad-input]") {
  CHECK_THROWS_AS(SpeechRecognizer(RecognizerConfig{"/nonexistent/dubkit-asr"}), IoError);
  CHECK_THROWS_WITH(SpeechRecognizer(RecognizerConfig{"/nonexistent/dubkit-asr"}),
                    Catch::Contains("/nonexistent/dubkit-asr/en-us/mdef") &&
                        Catch::Contains("install pocketsphinx-en-us"));
  // The real model without its mixture weights: pocketsphinx itself would exit the process.
  namespace fs = std::filesystem;
  const RecognizerConfig real;
  const std::string dir = test::temp_dir("asr-model");
  fs::create_directory(dir + "/en-us");
  for (const auto& f : fs::directory_iterator(real.acoustic_model()))
    if (f.path().filename() != "sendump") fs::create_symlink(f.path(), fs::path(dir) / "en-us" / f.path().filename());
  fs::create_symlink(real.language_model(), RecognizerConfig{dir}.language_model());
  fs::create_symlink(real.dictionary(), RecognizerConfig{dir}.dictionary());
  CHECK_THROWS_WITH(SpeechRecognizer(RecognizerConfig{dir}), Catch::Contains(dir + "/en-us/sendump"));
}

TEST_CASE("recognisers decode in parallel threads and can be moved", "[voice][asr]") {
  const std::string sentence = kSentences[2];
  const Waveform wave = speak(flite_voice("flite-rms"), sentence, 1).wave;
  const std::string expected = recognizer().transcribe(wave);
  std::string heard[2];
  std::thread threads[2];
  for (int t = 0; t < 2; ++t)
    threads[t] = std::thread([&, t] {
      SpeechRecognizer own;
      SpeechRecognizer moved = std::move(own);
      heard[t] = moved.transcribe(wave);
    });
  for (std::thread& t : threads) t.join();
  CHECK(heard[0] == expected);
  CHECK(heard[1] == expected);

  SpeechRecognizer a;
  SpeechRecognizer b = std::move(a);
  CHECK(b.transcribe(wave) == expected);
  CHECK_THROWS_AS(a.transcribe(wave), Error);  // NOLINT(bugprone-use-after-move): documented refusal
}
