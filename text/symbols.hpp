// The phoneme symbol table a model was trained with. It is stored inside every model file
// that uses it (as JSON in the safetensors metadata), so a model never meets a symbol it was
// not trained with: encoding an unknown symbol is an error naming it.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace dubkit {

class SymbolTable {
 public:
  static constexpr const char* kFormat = "dubkit-ipa-symbols";
  static constexpr int kVersion = 1;
  static constexpr std::int64_t kPadId = 0;  // id 0 is padding; symbols start at 1

  // Throws InvalidArgument on an empty or duplicate symbol.
  explicit SymbolTable(std::vector<std::string> symbols);
  // Every distinct symbol of `utterances`, sorted, so the table is reproducible.
  static SymbolTable from_utterances(const std::vector<std::vector<std::string>>& utterances);

  // Throws InvalidArgument naming the first symbol the table does not have.
  std::vector<std::int64_t> encode(const std::vector<std::string>& symbols) const;
  const std::vector<std::string>& symbols() const { return symbols_; }
  std::size_t size() const { return symbols_.size() + 1; }  // with padding

  // {"format": ..., "version": 1, "symbols": [...]}. from_json throws FormatError naming
  // `source` for malformed JSON, another format or an unknown version.
  std::string to_json() const;
  static SymbolTable from_json(const std::string& json, const std::string& source);

 private:
  std::vector<std::string> symbols_;
  std::unordered_map<std::string, std::int64_t> ids_;
};

}  // namespace dubkit
