#include "sync/csv.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include "core/error.hpp"

namespace dubkit {

std::size_t CsvTable::column(const std::string& name, const std::string& source) const {
  for (std::size_t i = 0; i < columns.size(); ++i)
    if (columns[i] == name) return i;
  throw FormatError(source + ": no column '" + name + "'");
}

CsvTable parse_csv(std::string_view text, const std::string& source, bool drop_unterminated_last) {
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // a UTF-8 BOM
  if (drop_unterminated_last && !text.empty() && text.back() != '\n') {
    const std::size_t end = text.rfind('\n');
    text = end == std::string_view::npos ? std::string_view() : text.substr(0, end + 1);
  }
  CsvTable t;
  long line = 1;
  std::size_t i = 0;
  auto fail = [&](const std::string& what) { throw FormatError(source + ", line " + std::to_string(line) + ": " + what); };
  while (i < text.size()) {
    const long row_line = line;
    std::vector<std::string> row;
    while (true) {
      std::string field;
      if (i < text.size() && text[i] == '"') {
        ++i;
        while (true) {
          if (i >= text.size()) fail("unterminated quoted field");
          const char c = text[i++];
          if (c == '"') {
            if (i < text.size() && text[i] == '"') {
              field += '"';
              ++i;
              continue;
            }
            break;
          }
          if (c == '\0') fail("NUL byte");
          if (c == '\n') ++line;
          field += c;
        }
        if (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') fail("text after a closing quote");
      } else {
        while (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
          if (text[i] == '"') fail("a quote inside an unquoted field");
          if (text[i] == '\0') fail("NUL byte");
          field += text[i++];
        }
      }
      row.push_back(std::move(field));
      if (i >= text.size()) break;
      if (text[i] == ',') {
        ++i;
        continue;
      }
      if (text[i] == '\r') {
        ++i;
        if (i >= text.size() || text[i] != '\n') fail("a carriage return without a line feed");
      }
      ++i;  // '\n'
      ++line;
      break;
    }
    if (row.size() == 1 && row[0].empty()) continue;  // a blank line
    if (t.columns.empty()) {
      std::set<std::string> seen;
      for (const std::string& c : row) {
        if (c.empty()) fail("an empty column name in the header");
        if (!seen.insert(c).second) fail("column '" + c + "' twice in the header");
      }
      t.columns = std::move(row);
      continue;
    }
    if (row.size() != t.columns.size())
      throw FormatError(source + ", line " + std::to_string(row_line) + ": " + std::to_string(row.size()) +
                        " fields, the header has " + std::to_string(t.columns.size()));
    t.rows.push_back(std::move(row));
    t.lines.push_back(row_line);
  }
  if (t.columns.empty()) throw FormatError(source + ": no header row");
  return t;
}

CsvTable read_csv(const std::string& path, bool drop_unterminated_last) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path + ": cannot open");
  std::ostringstream s;
  s << in.rdbuf();
  return parse_csv(s.str(), path, drop_unterminated_last);
}

std::string csv_field(std::string_view v) {
  if (v.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(v);
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

std::string csv_row(const std::vector<std::string>& fields) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) out += ',';
    out += csv_field(fields[i]);
  }
  return out + '\n';
}

}  // namespace dubkit
