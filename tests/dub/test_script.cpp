// Scripts: SubRip and WebVTT through FFmpeg, cleaned and checked (dub/script.hpp).
#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "core/utf8.hpp"
#include "dub/script.hpp"

using namespace dubkit;

namespace {

std::string error_of(const std::string& text) {
  try {
    parse_script(text, "s.srt");
  } catch (const FormatError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("script: SubRip with markup, CRLF and several text lines", "[dub]") {
  const Script s = parse_script("1\r\n00:00:01,000 --> 00:00:02,500\r\n<i>Hola</i> mundo,\r\n{\\an8}segunda  línea\r\n\r\n"
                                "2\r\n00:01:03,250 --> 00:01:04,000\r\n<font color=\"red\">Adiós</font> &amp; fin\r\n",
                                "s.srt");
  REQUIRE(s.lines.size() == 2);
  CHECK(s.lines[0].index == 1);
  CHECK(s.lines[0].start == Approx(1.0));
  CHECK(s.lines[0].end == Approx(2.5));
  CHECK(s.lines[0].text == "Hola mundo, segunda línea");
  CHECK(s.lines[1].start == Approx(63.25));
  CHECK(s.lines[1].slot() == Approx(0.75));
  CHECK(s.lines[1].text == "Adiós & fin");
  CHECK(s.skipped.empty());
}

TEST_CASE("script: WebVTT with voices, settings, inline times and a BOM", "[dub]") {
  const Script s = parse_script("\xEF\xBB\xBFWEBVTT\n\nNOTE a comment\n\nid-1\n00:00:01.000 --> 00:00:02.000 align:start\n"
                                "<v Anna>Guten <00:00:01.500>Tag</v>\n\n00:00:02.500 --> 00:00:03.000\n&lt;laughs&gt;\n",
                                "s.vtt");
  REQUIRE(s.lines.size() == 2);
  CHECK(s.lines[0].text == "Guten Tag");
  CHECK(s.lines[1].text == "<laughs>");
}

TEST_CASE("script: UTF-16 with a byte-order mark is read, other encodings refused with the cue and byte", "[dub]") {
  const std::string utf8 = "1\n00:00:01,000 --> 00:00:02,000\nAdi\xC3\xB3s\n";
  std::string utf16 = "\xFF\xFE";  // UTF-16LE
  for (unsigned char c : std::string("1\n00:00:01,000 --> 00:00:02,000\nAdi")) utf16 += static_cast<char>(c), utf16 += '\0';
  utf16 += "\xF3";
  utf16 += '\0';
  for (unsigned char c : std::string("s\n")) utf16 += static_cast<char>(c), utf16 += '\0';
  const Script s = parse_script(utf16, "u16.srt");
  REQUIRE(s.lines.size() == 1);
  CHECK(s.lines[0].text == "Adi\xC3\xB3s");
  CHECK(parse_script(utf8, "s.srt").lines[0].text == s.lines[0].text);
  const std::string latin1 = error_of("1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:03,000 --> 00:00:04,000\nAdi\xF3s\n");
  CHECK(latin1.find("s.srt: cue 2 (00:00:03.000 --> 00:00:04.000) is not UTF-8 (byte 0xF3 at offset 3") != std::string::npos);
}

TEST_CASE("script: UTF-8 validation", "[dub]") {
  CHECK(first_invalid_utf8("plain ascii") == std::string::npos);
  CHECK(first_invalid_utf8("\xE2\x82\xAC \xF0\x9F\x98\x80") == std::string::npos);  // euro sign, emoji
  CHECK(first_invalid_utf8("ab\xC0\xAF") == 2);                                    // overlong '/'
  CHECK(first_invalid_utf8("\xED\xA0\x80") == 0);                                  // a surrogate
  CHECK(first_invalid_utf8("x\xF4\x90\x80\x80") == 1);                             // past U+10FFFF
  CHECK(first_invalid_utf8("x\xE2\x82") == 1);                                     // truncated
}

TEST_CASE("script: overlapping, reversed and empty cues", "[dub][bad-input]") {
  const std::string overlap = error_of("1\n00:00:01,000 --> 00:00:03,000\nOne\n\n2\n00:00:02,000 --> 00:00:04,000\nTwo\n\n"
                                       "3\n00:00:05,000 --> 00:00:06,000\nThree\n\n4\n00:00:05,500 --> 00:00:07,000\nFour\n");
  CHECK(overlap.find("cue 1 (00:00:01.000 --> 00:00:03.000) overlaps cue 2") != std::string::npos);
  CHECK(overlap.find("cue 3 (00:00:05.000 --> 00:00:06.000) overlaps cue 4") != std::string::npos);
  // Touching cues do not overlap.
  CHECK(parse_script("1\n00:00:01,000 --> 00:00:02,000\nA\n\n2\n00:00:02,000 --> 00:00:03,000\nB\n", "s.srt").lines.size() == 2);
  CHECK(error_of("1\n00:00:03,000 --> 00:00:02,000\nBackwards\n").find("does not end after it starts") != std::string::npos);
  const Script s = parse_script("1\n00:00:01,000 --> 00:00:02,000\n<i> </i>\n\n2\n00:00:03,000 --> 00:00:04,000\nText\n", "s.srt");
  REQUIRE(s.lines.size() == 1);
  CHECK(s.lines[0].index == 2);
  REQUIRE(s.skipped.size() == 1);
  CHECK(s.skipped[0].index == 1);
  CHECK(error_of("1\n00:00:01,000 --> 00:00:02,000\n<i></i>\n").find("no line to speak (1 empty cues)") != std::string::npos);
  CHECK(error_of("not a script at all").find("no cue found") != std::string::npos);
  CHECK(error_of("   \n\n").find("no line to speak") != std::string::npos);
}

TEST_CASE("script: cues past the video's end are listed", "[dub][bad-input]") {
  const Script s = parse_script("1\n00:00:01,000 --> 00:00:02,000\nA\n\n2\n00:00:09,000 --> 00:00:11,000\nB\n", "s.srt");
  CHECK_NOTHROW(check_script_within(s, 11.0, "s.srt"));
  try {
    check_script_within(s, 10.0, "s.srt");
    FAIL("no error");
  } catch (const InvalidArgument& e) {
    CHECK(std::string(e.what()).find("cue 2 (00:00:09.000 --> 00:00:11.000)") != std::string::npos);
    CHECK(std::string(e.what()).find("00:00:10.000") != std::string::npos);
  }
}
