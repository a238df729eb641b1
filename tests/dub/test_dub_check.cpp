// The independent measures of dub-check: espeak-ng IPA to CMU phones, phone error rate
// (dub/dub_check.hpp). Expected phones written from the CMU dictionary's entries.
#include <catch2/catch.hpp>

#include "dub/dub_check.hpp"

using namespace dubkit;

using Phones = std::vector<std::string>;

TEST_CASE("dub check: IPA to CMU phones", "[dub]") {
  CHECK(ipa_to_cmu("həlˈoʊ") == Phones{"hh", "ah", "l", "ow"});            // hello: HH AH L OW
  CHECK(ipa_to_cmu("tʃˈiːz") == Phones{"ch", "iy", "z"});                  // cheese: CH IY Z
  CHECK(ipa_to_cmu("ˈaɪ") == Phones{"ay"});                                 // diphthongs stay one phone
  CHECK(ipa_to_cmu("mˈaɲana") == Phones{"m", "aa", "n", "y", "aa", "n", "aa"});  // mañana
  CHECK(ipa_to_cmu("bˈaɾkos") == Phones{"b", "aa", "r", "k", "ow", "s"});  // barcos
  CHECK(ipa_to_cmu("tsˈuːk") == Phones{"t", "s", "uw", "k"});               // Zug
  CHECK(ipa_to_cmu("xˈota, !") == Phones{"hh", "ow", "t", "aa"});          // jota: punctuation dropped
  CHECK(ipa_to_cmu("").empty());
}

TEST_CASE("dub check: phone error rate", "[dub]") {
  CHECK(phone_error_rate({"a", "b", "c"}, {"a", "b", "c"}) == 0.0);
  CHECK(phone_error_rate({"a", "b", "c"}, {"a", "c"}) == Approx(1.0 / 3));       // a deletion
  CHECK(phone_error_rate({"a", "b"}, {"x", "a", "b", "y"}) == Approx(1.0));      // two insertions
  CHECK(phone_error_rate({"a", "b", "c", "d"}, {"a", "x", "c", "d"}) == Approx(0.25));
  CHECK(phone_error_rate({}, {"a"}) == Approx(1.0));                             // empty reference counts as 1
}
