#include "text/symbols.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.hpp"

namespace dubkit {

SymbolTable::SymbolTable(std::vector<std::string> symbols) : symbols_(std::move(symbols)) {
  for (std::size_t i = 0; i < symbols_.size(); ++i) {
    if (symbols_[i].empty()) throw InvalidArgument("symbol table: empty symbol at index " + std::to_string(i));
    if (!ids_.emplace(symbols_[i], static_cast<std::int64_t>(i) + 1).second)
      throw InvalidArgument("symbol table: duplicate symbol '" + symbols_[i] + "'");
  }
}

SymbolTable SymbolTable::from_utterances(const std::vector<std::vector<std::string>>& utterances) {
  std::set<std::string> all;
  for (const auto& u : utterances) all.insert(u.begin(), u.end());
  return SymbolTable(std::vector<std::string>(all.begin(), all.end()));
}

std::vector<std::int64_t> SymbolTable::encode(const std::vector<std::string>& symbols) const {
  std::vector<std::int64_t> ids;
  ids.reserve(symbols.size());
  for (const std::string& s : symbols) {
    const auto it = ids_.find(s);
    if (it == ids_.end())
      throw InvalidArgument("phoneme symbol '" + s + "' is not in the model's symbol table (" +
                            std::to_string(symbols_.size()) + " symbols); the model was not trained on it");
    ids.push_back(it->second);
  }
  return ids;
}

std::string SymbolTable::to_json() const {
  return nlohmann::ordered_json{{"format", kFormat}, {"version", kVersion}, {"symbols", symbols_}}.dump();
}

SymbolTable SymbolTable::from_json(const std::string& json, const std::string& source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json);
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(source + ": symbol table is not valid JSON (" + e.what() + ")");
  }
  if (!j.is_object() || !j.contains("format") || !j["format"].is_string() ||
      j["format"].get<std::string>() != kFormat)
    throw FormatError(source + ": not a " + std::string(kFormat) + " table");
  if (!j.contains("version") || !j["version"].is_number_integer() || j["version"].get<std::int64_t>() != kVersion)
    throw FormatError(source + ": symbol table version is not " + std::to_string(kVersion));
  if (!j.contains("symbols") || !j["symbols"].is_array()) throw FormatError(source + ": symbol table lacks 'symbols'");
  std::vector<std::string> symbols;
  for (const auto& s : j["symbols"]) {
    if (!s.is_string()) throw FormatError(source + ": a symbol is not a string");
    symbols.push_back(s.get<std::string>());
  }
  try {
    return SymbolTable(std::move(symbols));
  } catch (const InvalidArgument& e) {
    throw FormatError(source + ": " + e.what());
  }
}

}  // namespace dubkit
