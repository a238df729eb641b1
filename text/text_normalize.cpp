#include "text/text_normalize.hpp"

#include <array>
#include <cctype>
#include <map>
#include <regex>
#include <string>

#include "core/error.hpp"

namespace dubkit {

namespace {

const std::array<const char*, 20> kOnes = {
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
const std::array<const char*, 10> kTens = {"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"};
const std::array<const char*, 12> kMonths = {"January", "February", "March", "April", "May", "June", "July",
                                             "August", "September", "October", "November", "December"};

std::string below_thousand(unsigned n) {
  std::string s;
  if (n >= 100) {
    s = std::string(kOnes[n / 100]) + " hundred";
    n %= 100;
    if (n == 0) return s;
    s += " ";
  }
  if (n < 20) return s + kOnes[n];
  s += kTens[n / 10];
  if (n % 10) s += std::string("-") + kOnes[n % 10];
  return s;
}

std::string digits_to_words(const std::string& digits) {
  std::string s;
  for (char c : digits) s += (s.empty() ? "" : " ") + std::string(kOnes[c - '0']);
  return s;
}

// Parses a run of digits (commas allowed as thousands separators).
std::uint64_t parse_number(const std::string& s) {
  std::uint64_t n = 0;
  for (char c : s) {
    if (c == ',') continue;
    if (n > 99999999999999ULL) throw InvalidArgument("number too large to read aloud: " + s);
    n = n * 10 + static_cast<unsigned>(c - '0');
  }
  return n;
}

// "twenty-one" -> "twenty-first", "five" -> "fifth", "twelve" -> "twelfth".
std::string ordinalise(const std::string& words) {
  static const std::map<std::string, std::string> irregular = {
      {"one", "first"}, {"two", "second"}, {"three", "third"}, {"five", "fifth"},
      {"eight", "eighth"}, {"nine", "ninth"}, {"twelve", "twelfth"}};
  const std::size_t cut = words.find_last_of(" -");
  const std::string head = cut == std::string::npos ? "" : words.substr(0, cut + 1);
  const std::string last = cut == std::string::npos ? words : words.substr(cut + 1);
  if (auto it = irregular.find(last); it != irregular.end()) return head + it->second;
  if (last.back() == 'y') return head + last.substr(0, last.size() - 1) + "ieth";
  return head + last + "th";
}

std::string money(const std::string& symbol, const std::string& whole, const std::string& cents) {
  static const std::map<std::string, std::pair<std::string, std::string>> units = {
      {"$", {"dollar", "cent"}}, {"£", {"pound", "penny"}}, {"€", {"euro", "cent"}}};
  const auto& [major, minor] = units.at(symbol);
  const std::uint64_t w = parse_number(whole);
  std::string s = number_to_words(w) + " " + major + (w == 1 ? "" : "s");
  if (!cents.empty()) {
    const std::uint64_t c = parse_number(cents);
    if (c > 0) {
      const std::string minor_plural = minor == "penny" ? "pence" : minor + "s";
      s += " and " + number_to_words(c) + " " + (c == 1 ? minor : minor_plural);
    }
  }
  return s;
}

std::string clock_time(int hour, int minute, const std::string& meridiem) {
  std::string s = number_to_words(static_cast<unsigned>(hour));
  if (minute == 0 && meridiem.empty()) s += " o'clock";
  else if (minute > 0 && minute < 10) s += " oh " + number_to_words(static_cast<unsigned>(minute));
  else if (minute >= 10) s += " " + number_to_words(static_cast<unsigned>(minute));
  if (!meridiem.empty()) s += std::string(" ") + static_cast<char>(std::tolower(meridiem[0])) + " m";
  return s;
}

// Replaces every match of `re` by fn(match), left to right.
template <class Fn>
std::string replace_all(const std::string& text, const std::regex& re, Fn fn) {
  std::string out;
  auto last = text.cbegin();
  for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it) {
    out.append(last, (*it)[0].first);
    out += fn(*it);
    last = (*it)[0].second;
  }
  out.append(last, text.cend());
  return out;
}

}  // namespace

std::string number_to_words(std::uint64_t n) {
  static const std::array<const char*, 5> scales = {"", " thousand", " million", " billion", " trillion"};
  if (n == 0) return "zero";
  if (n > 999999999999999ULL) throw InvalidArgument("number too large to read aloud: " + std::to_string(n));
  std::string s;
  for (int i = 4; i >= 0; --i) {
    std::uint64_t unit = 1;
    for (int k = 0; k < i; ++k) unit *= 1000;
    const unsigned chunk = static_cast<unsigned>((n / unit) % 1000);
    if (chunk == 0) continue;
    s += (s.empty() ? "" : " ") + below_thousand(chunk) + scales[i];
  }
  return s;
}

std::string ordinal_to_words(std::uint64_t n) { return ordinalise(number_to_words(n)); }

std::string year_to_words(int year) {
  if (year < 1000 || year > 9999) return number_to_words(static_cast<std::uint64_t>(year < 0 ? -year : year));
  const int hi = year / 100, lo = year % 100;
  if (year % 1000 < 10 && hi % 10 == 0) return number_to_words(static_cast<unsigned>(year));  // 2000, 2005
  if (lo == 0) return number_to_words(static_cast<unsigned>(hi)) + " hundred";                // 1900
  if (lo < 10) return number_to_words(static_cast<unsigned>(hi)) + " oh " + number_to_words(static_cast<unsigned>(lo));
  return number_to_words(static_cast<unsigned>(hi)) + " " + number_to_words(static_cast<unsigned>(lo));
}

std::string normalize_english(const std::string& input) {
  static const std::map<std::string, std::string> abbreviations = {
      {"Mr.", "mister"}, {"Mrs.", "missus"}, {"Ms.", "miz"}, {"Dr.", "doctor"}, {"Prof.", "professor"},
      {"St.", "saint"}, {"Jr.", "junior"}, {"Sr.", "senior"}, {"Mt.", "mount"}, {"Ave.", "avenue"},
      {"vs.", "versus"}, {"etc.", "et cetera"}, {"e.g.", "for example"}, {"i.e.", "that is"},
      {"approx.", "approximately"}, {"No.", "number"}};
  static const std::regex abbrev(R"((^|[\s(])(Mrs?\.|Ms\.|Dr\.|Prof\.|St\.|Jr\.|Sr\.|Mt\.|Ave\.|vs\.|etc\.|e\.g\.|i\.e\.|approx\.|No\.(?=\s*\d)))");
  static const std::regex iso_date(R"(\b(\d{4})-(\d{2})-(\d{2})\b)");
  static const std::regex month_date(
      R"(\b(January|February|March|April|May|June|July|August|September|October|November|December) (\d{1,2})(st|nd|rd|th)?(, (\d{4}))?\b)");
  // "p.m." keeps its final period: it may also end the sentence.
  static const std::regex time(R"(\b(\d{1,2}):(\d{2})(\s*([AaPp])\.?[Mm](?![A-Za-z]))?)");
  static const std::regex currency(R"((\$|£|€)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{2}))?)");
  static const std::regex percent(R"((\d+(?:\.\d+)?)\s?%)");
  static const std::regex ordinal(R"(\b(\d+)(st|nd|rd|th)\b)");
  static const std::regex negative(R"((^|[\s(])-(\d))");
  static const std::regex decimal(R"(\b(\d+)\.(\d+)\b)");
  static const std::regex year(R"(\b(1[1-9]\d\d|20[1-9]\d)\b)");
  static const std::regex cardinal(R"(\b(\d{1,3}(?:,\d{3})+|\d+)\b)");

  std::string s = replace_all(input, abbrev, [](const std::smatch& m) {
    return m[1].str() + abbreviations.at(m[2].str());
  });
  s = replace_all(s, iso_date, [](const std::smatch& m) {
    const int month = std::stoi(m[2].str()), day = std::stoi(m[3].str());
    if (month < 1 || month > 12 || day < 1 || day > 31) return m[0].str();
    return std::string(kMonths[month - 1]) + " " + ordinal_to_words(static_cast<unsigned>(day)) + ", " +
           year_to_words(std::stoi(m[1].str()));
  });
  s = replace_all(s, month_date, [](const std::smatch& m) {
    std::string out = m[1].str() + " " + ordinal_to_words(std::stoul(m[2].str()));
    if (m[5].matched) out += ", " + year_to_words(std::stoi(m[5].str()));
    return out;
  });
  s = replace_all(s, time, [](const std::smatch& m) {
    const int h = std::stoi(m[1].str()), min = std::stoi(m[2].str());
    if (h > 23 || min > 59) return m[0].str();
    return clock_time(h, min, m[4].matched ? m[4].str() : "");
  });
  s = replace_all(s, currency, [](const std::smatch& m) { return money(m[1].str(), m[2].str(), m[3].str()); });
  s = replace_all(s, percent, [](const std::smatch& m) { return m[1].str() + " percent"; });
  s = replace_all(s, ordinal, [](const std::smatch& m) { return ordinal_to_words(parse_number(m[1].str())); });
  s = replace_all(s, negative, [](const std::smatch& m) { return m[1].str() + "minus " + m[2].str(); });
  s = replace_all(s, decimal, [](const std::smatch& m) {
    return number_to_words(parse_number(m[1].str())) + " point " + digits_to_words(m[2].str());
  });
  s = replace_all(s, year, [](const std::smatch& m) { return year_to_words(std::stoi(m[1].str())); });
  s = replace_all(s, cardinal, [](const std::smatch& m) { return number_to_words(parse_number(m[1].str())); });
  return s;
}

}  // namespace dubkit
