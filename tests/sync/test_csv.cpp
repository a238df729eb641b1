// The sync study's CSV reader: RFC 4180 quoting, strictness, and the resume rule.
#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "sync/csv.hpp"

using namespace dubkit;

TEST_CASE("csv: quoted fields, CRLF, blank lines, BOM", "[sync][csv]") {
  const CsvTable t = parse_csv("\xEF\xBB\xBF" "file,error\r\n\r\na.mp4,\"x, \"\"y\"\"\nz\"\r\nb.mp4,\n", "t.csv");
  REQUIRE(t.columns == std::vector<std::string>{"file", "error"});
  REQUIRE(t.rows.size() == 2);
  CHECK(t.rows[0][1] == "x, \"y\"\nz");
  CHECK(t.rows[1] == std::vector<std::string>{"b.mp4", ""});
  CHECK(t.lines == std::vector<long>{3, 5});
  CHECK(t.column("error", "t.csv") == 1);
  CHECK_THROWS_WITH(t.column("offset", "t.csv"), Catch::Contains("t.csv") && Catch::Contains("offset"));
}

TEST_CASE("csv: writing and reading back round-trips every byte that may appear", "[sync][csv]") {
  const std::vector<std::string> row = {"plain", "a,b", "say \"hi\"", "two\nlines", "cr\rlf", ""};
  const CsvTable t = parse_csv(csv_row({"1", "2", "3", "4", "5", "6"}) + csv_row(row), "rt");
  REQUIRE(t.rows.size() == 1);
  CHECK(t.rows[0] == row);
}

TEST_CASE("csv: malformed tables are refused with the line", "[sync][csv]") {
  CHECK_THROWS_WITH(parse_csv("a,b\n1,2,3\n", "x.csv"), Catch::Contains("x.csv, line 2") && Catch::Contains("3 fields"));
  CHECK_THROWS_WITH(parse_csv("a,b\n\"1,2\n", "x.csv"), Catch::Contains("unterminated"));
  CHECK_THROWS_WITH(parse_csv("a,b\n\"1\"x,2\n", "x.csv"), Catch::Contains("after a closing quote"));
  CHECK_THROWS_WITH(parse_csv("a,b\n1\",2\n", "x.csv"), Catch::Contains("quote inside"));
  CHECK_THROWS_WITH(parse_csv("a,a\n", "x.csv"), Catch::Contains("twice"));
  CHECK_THROWS_WITH(parse_csv("a,\n", "x.csv"), Catch::Contains("empty column"));
  CHECK_THROWS_WITH(parse_csv("", "x.csv"), Catch::Contains("no header"));
  CHECK_THROWS_WITH(parse_csv(std::string("a\nx\0y\n", 6), "x.csv"), Catch::Contains("NUL"));
  CHECK_THROWS_WITH(parse_csv("a\r1\n", "x.csv"), Catch::Contains("carriage return"));
  CHECK_THROWS_AS(read_csv("/nonexistent/x.csv"), IoError);
}

TEST_CASE("csv: a last row cut short is dropped only when asked", "[sync][csv]") {
  const std::string text = "a,b\n1,2\n3,\"fo";
  CHECK_THROWS_AS(parse_csv(text, "cut"), FormatError);
  const CsvTable t = parse_csv(text, "cut", true);
  REQUIRE(t.rows.size() == 1);
  CHECK(t.rows[0][0] == "1");
  CHECK(parse_csv("a,b\n1,2\n3,4", "whole").rows.size() == 2);
  CHECK(parse_csv("a,b\n1,2\n3,4", "cut", true).rows.size() == 1);
  CHECK_THROWS_WITH(parse_csv("a,b", "cut", true), Catch::Contains("no header"));
}
