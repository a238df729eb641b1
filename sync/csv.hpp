// The comma-separated tables of the sync study (batch results, labels): RFC 4180 fields (quotes
// doubled inside quoted fields, commas and line breaks allowed in them), CRLF or LF line ends,
// a header row naming the columns. These files come from other tools and other people, so the
// reader is strict: a malformed table is a FormatError naming the source and line, never a
// guess.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace dubkit {

struct CsvTable {
  std::vector<std::string> columns;            // the header
  std::vector<std::vector<std::string>> rows;  // each as long as the header
  std::vector<long> lines;                     // the line each row starts on, for messages

  // Index of a column; FormatError naming `source` when absent.
  std::size_t column(const std::string& name, const std::string& source) const;
};

// Throws FormatError naming `source` and the line for an unterminated quote, text after a
// closing quote, a row whose field count differs from the header's, a NUL byte, an empty or
// duplicate column name, or no header. A last line without its line break is a row like any
// other unless `drop_unterminated_last`: then it is dropped, as a writer interrupted mid-row
// left it (batch resumes; its fields never hold line breaks).
CsvTable parse_csv(std::string_view text, const std::string& source, bool drop_unterminated_last = false);
CsvTable read_csv(const std::string& path, bool drop_unterminated_last = false);  // IoError when unreadable

// One field as written: quoted when it holds a comma, a quote or a line break.
std::string csv_field(std::string_view value);
// A row of fields, with the line break.
std::string csv_row(const std::vector<std::string>& fields);

}  // namespace dubkit
