#include "align/festival_labels.hpp"

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "core/error.hpp"

namespace dubkit {

std::vector<PhoneSpan> read_festival_labels(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw IoError(path + ": cannot open the label file");
  std::vector<PhoneSpan> out;
  std::string line;
  bool body = false;
  double previous = 0;
  for (int n = 1; std::getline(f, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!body) {
      body = line == "#";
      continue;
    }
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    std::istringstream in(line);
    double end = 0;
    std::string colour, phone;
    if (!(in >> end >> colour >> phone) || !std::isfinite(end))
      throw FormatError(path + ":" + std::to_string(n) + ": expected 'END_TIME COLOUR PHONE'");
    if (end < previous)
      throw FormatError(path + ":" + std::to_string(n) + ": end time " + std::to_string(end) + " before the previous " +
                        std::to_string(previous));
    out.push_back({phone, previous, end});
    previous = end;
  }
  if (out.empty()) throw FormatError(path + ": no segments (festival labels follow a line '#')");
  return out;
}

std::string msu_ru_phone_to_ipa(const std::string& name) {
  static const std::map<std::string, std::string> table = {
      {"pau", "_"},   {"ii", "i"},   {"yy", "ɨ"},   {"uu", "u"},  {"ee", "e"},   {"oo", "o"},   {"aa", "a"},
      {"a", "ɐ"},     {"e", "e"},    {"i", "ɪ"},    {"y", "ɨ"},   {"u", "ʊ"},    {"ae", "ə"},   {"ay", "ɪ"},
      {"ur", "ʊ"},    {"p", "p"},    {"pp", "pʲ"},  {"b", "b"},   {"bb", "bʲ"},  {"t", "t"},    {"tt", "tʲ"},
      {"d", "d"},     {"dd", "dʲ"},  {"k", "k"},    {"kk", "kʲ"}, {"g", "ɡ"},    {"gg", "ɡʲ"},  {"c", "ts"},
      {"ch", "tɕ"},   {"f", "f"},    {"ff", "fʲ"},  {"v", "v"},   {"vv", "vʲ"},  {"s", "s"},    {"ss", "sʲ"},
      {"z", "z"},     {"zz", "zʲ"},  {"sh", "ʂ"},   {"sch", "ɕː"}, {"zh", "ʐ"},  {"h", "x"},    {"hh", "xʲ"},
      {"m", "m"},     {"mm", "mʲ"},  {"n", "n"},    {"nn", "nʲ"}, {"l", "ɫ"},    {"ll", "lʲ"},  {"r", "r"},
      {"rr", "rʲ"},   {"j", "j"}};
  const auto it = table.find(name);
  if (it == table.end()) throw InvalidArgument("festival phone '" + name + "' is not in the msu_ru phone set");
  return it->second;
}

}  // namespace dubkit
