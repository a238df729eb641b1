#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "text/phonemizer.hpp"
#include "text/symbols.hpp"
#include "text/text_normalize.hpp"

using namespace dubkit;

TEST_CASE("numbers, ordinals and years in words", "[text]") {
  CHECK(number_to_words(0) == "zero");
  CHECK(number_to_words(13) == "thirteen");
  CHECK(number_to_words(40) == "forty");
  CHECK(number_to_words(105) == "one hundred five");
  CHECK(number_to_words(1234567) == "one million two hundred thirty-four thousand five hundred sixty-seven");
  CHECK(number_to_words(2000000001) == "two billion one");
  CHECK_THROWS_AS(number_to_words(1000000000000000ULL), InvalidArgument);
  CHECK(ordinal_to_words(1) == "first");
  CHECK(ordinal_to_words(12) == "twelfth");
  CHECK(ordinal_to_words(22) == "twenty-second");
  CHECK(ordinal_to_words(30) == "thirtieth");
  CHECK(ordinal_to_words(100) == "one hundredth");
  CHECK(year_to_words(1999) == "nineteen ninety-nine");
  CHECK(year_to_words(1905) == "nineteen oh five");
  CHECK(year_to_words(1900) == "nineteen hundred");
  CHECK(year_to_words(2000) == "two thousand");
  CHECK(year_to_words(2005) == "two thousand five");
  CHECK(year_to_words(2021) == "twenty twenty-one");
}

TEST_CASE("English normalisation expands what is read aloud", "[text]") {
  CHECK(normalize_english("Dr. Smith paid $5.20.") == "doctor Smith paid five dollars and twenty cents.");
  CHECK(normalize_english("It costs £1 or €2,500.") == "It costs one pound or two thousand five hundred euros.");
  CHECK(normalize_english("at 3:45 pm") == "at three forty-five p m");
  CHECK(normalize_english("at 7:05 and 9:00") == "at seven oh five and nine o'clock");
  CHECK(normalize_english("on 2021-03-04") == "on March fourth, twenty twenty-one");
  CHECK(normalize_english("on March 3, 2021") == "on March third, twenty twenty-one");
  CHECK(normalize_english("the 21st page") == "the twenty-first page");
  CHECK(normalize_english("3.5% of 1,000") == "three point five percent of one thousand");
  CHECK(normalize_english("in 1999 it was -5 out") == "in nineteen ninety-nine it was minus five out");
  CHECK(normalize_english("pages 3-5, e.g. No. 7") == "pages three-five, for example number seven");
  CHECK(normalize_english("no digits here") == "no digits here");
}

TEST_CASE("espeak-ng phonemes keep stress and clause punctuation", "[text]") {
  const Phonemes en = phonemize("Hello, world!", "en-us");
  CHECK(en.ipa == "həlˈoʊ , wˈɜːld !");
  CHECK(en.symbols.front() == "h");
  CHECK(std::find(en.symbols.begin(), en.symbols.end(), "ˈ") != en.symbols.end());  // stress
  CHECK(std::find(en.symbols.begin(), en.symbols.end(), ",") != en.symbols.end());
  CHECK(std::find(en.symbols.begin(), en.symbols.end(), "ɜː") != en.symbols.end());  // length attached
  CHECK(phonemize("It costs $5.", "en-us").normalized == "It costs five dollars.");
  const Phonemes es = phonemize("Hola, ¿cómo estás?", "es");
  CHECK(es.ipa.back() == '?');
  const Phonemes de = phonemize("Guten Tag", "de");
  CHECK(de.ipa.find("ɡˈuːtən") != std::string::npos);
  CHECK(es.ipa != de.ipa);
}

TEST_CASE("phonemizer bad input", "[text][bad-input]") {
  CHECK_THROWS_AS(phonemize("", "en-us"), InvalidArgument);
  CHECK_THROWS_AS(phonemize("   ", "en-us"), InvalidArgument);
  CHECK_THROWS_WITH(phonemize("hello", "xx-nope"), Catch::Contains("no language 'xx-nope'"));
  CHECK_THROWS_AS(split_ipa(std::string("\xff\xfe")), InvalidArgument);
}

TEST_CASE("symbol tables encode, round-trip and refuse unknown symbols", "[text]") {
  const SymbolTable t = SymbolTable::from_utterances({split_ipa("həlˈoʊ ."), split_ipa("wˈɜːld !")});
  const auto ids = t.encode(split_ipa("wˈɜːld"));
  CHECK(ids.size() == 5);
  for (auto id : ids) CHECK(id > SymbolTable::kPadId);
  const SymbolTable back = SymbolTable::from_json(t.to_json(), "model.safetensors");
  CHECK(back.symbols() == t.symbols());
  CHECK_THROWS_WITH(t.encode({"θ"}), Catch::Contains("'θ' is not in the model's symbol table"));
  CHECK_THROWS_AS(SymbolTable({"a", "a"}), InvalidArgument);
  CHECK_THROWS_AS(SymbolTable::from_json("{", "m"), FormatError);
  CHECK_THROWS_AS(SymbolTable::from_json(R"({"format":"dubkit-ipa-symbols","version":2,"symbols":[]})", "m"), FormatError);
  CHECK_THROWS_AS(SymbolTable::from_json(R"({"format":"other","version":1,"symbols":[]})", "m"), FormatError);
  CHECK_THROWS_AS(SymbolTable::from_json(R"({"format":"dubkit-ipa-symbols","version":1,"symbols":[1]})", "m"), FormatError);
}

TEST_CASE("symbol table JSON of the wrong types is a FormatError (fuzzer finding)", "[text][bad-input]") {
  // Found by fuzz_symbols: a non-string "format" escaped as nlohmann::type_error.
  CHECK_THROWS_AS(SymbolTable::from_json(R"({"format":7,"version":1,"symbols":[]})", "m"), FormatError);
  CHECK_THROWS_AS(SymbolTable::from_json(R"({"format":"dubkit-ipa-symbols","version":4294967297,"symbols":[]})", "m"),
                  FormatError);
  CHECK_THROWS_AS(SymbolTable::from_json(R"({"format":"dubkit-ipa-symbols","version":1,"symbols":{"a":1}})", "m"),
                  FormatError);
}
