#include "align/phone_classes.hpp"

#include <map>
#include <set>

#include "core/error.hpp"

namespace dubkit {

namespace {

// The inventory. Vowels and diphthongs are the ones English, Spanish and German (the training
// corpus) use, with near neighbours folded in by kNearestLetter; consonants likewise.
const std::vector<std::string> kVowels = {"i", "y", "ɪ", "e", "ø", "ɛ", "œ", "æ", "a", "ɐ",
                                          "ə", "ɜ", "ɚ", "ʌ", "ɑ", "ɔ", "o", "ʊ", "u", "ɨ"};
const std::vector<std::string> kDiphthongs = {"aɪ", "aʊ", "eɪ", "oʊ", "ɔɪ"};
const std::vector<std::string> kConsonants = {"p", "b", "t", "d", "k", "ɡ", "ʔ", "m", "n",  "ŋ",  "ɲ",  "f",
                                              "v", "θ", "ð", "s", "z", "ʃ", "ʒ", "ç", "x",  "ɣ",  "h",  "β",
                                              "l", "ʎ", "ɹ", "r", "ɾ", "j", "ʝ", "w", "ts", "tʃ", "dʒ"};

// Multi-letter symbols spelled another way, or the same gesture in another language: folded to
// an inventory entry before any prefix is cut, so "ɔø" stays a diphthong rather than "ɔ".
const std::map<std::string, std::string> kEquivalent = {
    {"oɪ", "ɔɪ"}, {"ɔø", "ɔɪ"}, {"ɔʏ", "ɔɪ"}, {"ɔy", "ɔɪ"}, {"əʊ", "oʊ"}, {"ou", "oʊ"}, {"ei", "eɪ"},
    {"ai", "aɪ"}, {"au", "aʊ"}, {"tɕ", "tʃ"}, {"tʂ", "tʃ"}, {"ʈʂ", "tʃ"}, {"dʑ", "dʒ"}, {"dʐ", "dʒ"},
    {"ɖʐ", "dʒ"}, {"dz", "ts"}};

// Letters outside the inventory -> the nearest inventory letter: the same place and manner when
// the inventory has it in the other voicing or a neighbouring place, else the same manner.
const std::map<char32_t, char32_t> kNearestLetter = {
    // vowels: the nearest quality (height first, then backness, then rounding)
    {U'ʏ', U'y'}, {U'ɯ', U'u'}, {U'ʉ', U'u'}, {U'ɵ', U'ø'}, {U'ɤ', U'o'}, {U'ɘ', U'ə'}, {U'ɞ', U'ɜ'},
    {U'ɶ', U'œ'}, {U'ɒ', U'ɑ'}, {U'ɝ', U'ɚ'}, {U'ᵻ', U'ɨ'}, {U'ᵿ', U'ʊ'}, {U'ɷ', U'ʊ'}, {U'ɩ', U'ɪ'},
    // precomposed Latin vowels (not IPA, seen in loose transcriptions): their base letter
    {U'á', U'a'}, {U'à', U'a'}, {U'â', U'a'}, {U'ã', U'a'}, {U'ä', U'ɛ'}, {U'é', U'e'}, {U'è', U'ɛ'},
    {U'ê', U'e'}, {U'ẽ', U'e'}, {U'í', U'i'}, {U'ì', U'i'}, {U'ĩ', U'i'}, {U'ó', U'o'}, {U'ò', U'o'},
    {U'ô', U'o'}, {U'õ', U'o'}, {U'ö', U'ø'}, {U'ú', U'u'}, {U'ù', U'u'}, {U'ũ', U'u'}, {U'ü', U'y'},
    // plosives: retroflex -> alveolar, palatal -> velar, uvular -> velar, implosives -> plain
    {U'g', U'ɡ'}, {U'ʈ', U't'}, {U'ɖ', U'd'}, {U'c', U'k'}, {U'ɟ', U'ɡ'}, {U'q', U'k'}, {U'ɢ', U'ɡ'},
    {U'ʡ', U'ʔ'}, {U'ɓ', U'b'}, {U'ɗ', U'd'}, {U'ʄ', U'ɡ'}, {U'ɠ', U'ɡ'}, {U'ʛ', U'ɡ'},
    // nasals
    {U'ɳ', U'n'}, {U'ɴ', U'ŋ'}, {U'ɱ', U'm'},
    // fricatives: retroflex and alveolo-palatal sibilants -> postalveolar, uvular -> velar,
    // pharyngeal and glottal voiced -> h
    {U'ɸ', U'f'}, {U'ʋ', U'v'}, {U'ʂ', U'ʃ'}, {U'ʐ', U'ʒ'}, {U'ɕ', U'ʃ'}, {U'ʑ', U'ʒ'}, {U'ɧ', U'ʃ'},
    {U'χ', U'x'}, {U'ħ', U'h'}, {U'ʕ', U'h'}, {U'ɦ', U'h'}, {U'ʜ', U'h'}, {U'ʢ', U'h'},
    // approximants, laterals, rhotics
    {U'ʍ', U'w'}, {U'ɥ', U'j'}, {U'ɰ', U'ɣ'}, {U'ɫ', U'l'}, {U'ɬ', U'l'}, {U'ɮ', U'l'}, {U'ɭ', U'l'},
    {U'ʟ', U'l'}, {U'ɺ', U'ɾ'}, {U'ɽ', U'ɾ'}, {U'ɻ', U'ɹ'}, {U'ʀ', U'r'}, {U'ʁ', U'r'}, {U'ʙ', U'r'},
};

const std::set<std::string> kPauseNames = {"_",  "pau", "sil", "sp", "#", "h#", " ", ",", ".", "?", "!",
                                           ";",  ":",   "-",   "–",  "—", "…",  "|", "‖"};

// Code points that modify a letter rather than being one (step 2 of the header's rule).
bool is_mark(char32_t c) {
  return (c >= 0x02B0 && c <= 0x02FF) ||  // spacing modifiers: ʰ ʲ ʷ ˈ ˌ ː ˑ ˞ ...
         (c >= 0x0300 && c <= 0x036F) ||  // combining diacritics, tie bars
         (c >= 0x1AB0 && c <= 0x1AFF) || (c >= 0x1DC0 && c <= 0x1DFF) ||  // more combining marks
         (c >= 0x1D2C && c <= 0x1D6A) ||  // modifier letters ᴬ..ᵪ (ᵻ U+1D7B is a letter)
         (c >= 0x1D9B && c <= 0x1DBF) ||  // modifier letters ᶛ..ᶿ
         (c >= 0x2070 && c <= 0x209F) ||  // superscripts and subscripts: ⁿ
         c == 0x203F || c == 0x0027;      // undertie, ASCII apostrophe used as a stress mark
}

// UTF-8 -> code points; false on invalid input.
bool decode(const std::string& s, std::u32string& out) {
  out.clear();
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char b = static_cast<unsigned char>(s[i]);
    const std::size_t len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    char32_t c = len == 1 ? b : b & (0x7F >> len);
    for (std::size_t k = 1; k < len; ++k) {
      const unsigned char cont = static_cast<unsigned char>(s[i + k]);
      if ((cont & 0xC0) != 0x80) return false;
      c = (c << 6) | (cont & 0x3F);
    }
    out.push_back(c);
    i += len;
  }
  return true;
}

std::string encode(const std::u32string& s) {
  std::string out;
  for (char32_t c : s) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x800) {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      out += static_cast<char>(0xE0 | (c >> 12));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (c >> 18));
      out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

struct Tables {
  std::vector<std::string> names;
  std::map<std::string, int> ids;
  std::vector<PhoneKind> kinds;
  Tables() {
    auto add = [&](const std::string& n, PhoneKind k) {
      ids.emplace(n, static_cast<int>(names.size()));
      names.push_back(n);
      kinds.push_back(k);
    };
    add("_", PhoneKind::Pause);
    add("?", PhoneKind::Other);
    for (const auto& v : kVowels) add(v, PhoneKind::Vowel);
    for (const auto& v : kDiphthongs) add(v, PhoneKind::Vowel);
    for (const auto& c : kConsonants) add(c, PhoneKind::Consonant);
  }
  int find(const std::string& s) const {
    if (const auto e = kEquivalent.find(s); e != kEquivalent.end()) return ids.at(e->second);
    const auto it = ids.find(s);
    return it == ids.end() ? -1 : it->second;
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

std::u32string stripped_letters(const std::u32string& s) {
  std::u32string out;
  for (char32_t c : s)
    if (!is_mark(c)) out.push_back(c);
  return out;
}

}  // namespace

const std::vector<std::string>& phone_class_names() { return tables().names; }
int phone_class_count() { return static_cast<int>(tables().names.size()); }

int phone_class(const std::string& symbol) {
  if (symbol.empty() || kPauseNames.count(symbol)) return kPauseClass;
  std::u32string cps;
  if (!decode(symbol, cps)) return kOtherClass;
  const std::u32string letters = stripped_letters(cps);
  if (letters.empty()) return kPauseClass;  // only marks: nothing is pronounced
  std::u32string nearest = letters;
  for (char32_t& c : nearest)
    if (const auto it = kNearestLetter.find(c); it != kNearestLetter.end()) c = it->second;
  const Tables& t = tables();
  for (std::size_t len = letters.size(); len >= 1; --len) {
    if (const int id = t.find(encode(letters.substr(0, len))); id >= 0) return id;
    if (const int id = t.find(encode(nearest.substr(0, len))); id >= 0) return id;
  }
  return kOtherClass;
}

std::vector<int> phone_classes(const std::vector<std::string>& symbols) {
  std::vector<int> out;
  out.reserve(symbols.size());
  for (const std::string& s : symbols) out.push_back(phone_class(s));
  return out;
}

PhoneKind phone_class_kind(int id) {
  if (id < 0 || id >= phone_class_count())
    throw InvalidArgument("phone class " + std::to_string(id) + " is outside the inventory of " +
                          std::to_string(phone_class_count()));
  return tables().kinds[static_cast<std::size_t>(id)];
}

std::string strip_phone_marks(const std::string& symbol) {
  std::u32string cps;
  if (!decode(symbol, cps)) return symbol;
  return encode(stripped_letters(cps));
}

}  // namespace dubkit
