// Text and JSON views of frames: escaping, UTF-8 checks, base64, partial-line buffering.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "frame_views.hpp"

namespace w = ktstr::wire;
using ktstr::host::TextFormatter;

namespace {

std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

w::Frame frame(w::Tag type, uint32_t seq, uint64_t t_ns, std::string_view value) {
  return {type, seq, t_ns, as_bytes(value)};
}

}  // namespace

// RFC 4648 section 10 test vectors.
TEST(FrameFormat, Base64MatchesRfc4648) {
  const char* want[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  std::string_view foobar = "foobar";
  for (size_t n = 0; n <= 6; ++n)
    EXPECT_EQ(ktstr::host::base64_encode(as_bytes(foobar.substr(0, n))), want[n]);
}

// A byte frame is shown as text exactly when it is well-formed UTF-8 (the one validator in
// utf8.hpp): overlongs, surrogates, stray continuations, cut sequences and code points above
// U+10FFFF go to base64.
TEST(FrameFormat, ValidatesUtf8) {
  auto encoding = [](std::string_view value) {
    return nlohmann::json::parse(ktstr::host::frame_to_json(frame(w::kSout, 0, 0, value)))["encoding"];
  };
  EXPECT_EQ(encoding("plain ascii\n"), "text");
  EXPECT_EQ(encoding("é 日本 \xF0\x9F\x98\x80"), "text");
  for (std::string_view bad : {"\xC0\xAF", "\xED\xA0\x80", "\x80", "\xE6\x97", "\xF4\x90\x80\x80"})
    EXPECT_EQ(encoding(bad), "base64") << ktstr::host::escape_text(as_bytes(bad));
}

// Control bytes, invalid UTF-8 and C1 controls are escaped; text, tabs and UTF-8 pass through.
TEST(FrameFormat, EscapesNonPrintableBytes) {
  using ktstr::host::escape_text;
  EXPECT_EQ(escape_text(as_bytes("a\tb é")), "a\tb é");
  EXPECT_EQ(escape_text(as_bytes("\x1b[31mred\r\n")), "\\x1b[31mred\\r\\n");
  EXPECT_EQ(escape_text(as_bytes(std::string_view("\0\x7f\xff", 3))), "\\x00\\x7f\\xff");
  EXPECT_EQ(escape_text(as_bytes("\xC2\x9B")), "\\xc2\\x9b");  // C1 CSI
}

// Boot times print like the kernel's: seconds and microseconds.
TEST(FrameFormat, FormatsTimestampsLikeTheKernel) {
  EXPECT_EQ(ktstr::host::format_timestamp(4123456789ull), "[   4.123456]");
  EXPECT_EQ(ktstr::host::format_timestamp(0), "[   0.000000]");
  EXPECT_EQ(ktstr::host::format_timestamp(12345000000000ull), "[12345.000000]");
}

// A control frame's JSON value is embedded as an object, key order kept.
TEST(FrameFormat, JsonEmbedsControlValue) {
  bool ok = false;
  std::string j = ktstr::host::frame_to_json(
      frame(w::kSchd, 12, 4123456789ull, R"({"event":"attached","pid":7})"), &ok);
  EXPECT_TRUE(ok);
  EXPECT_EQ(j,
            R"({"type":"SCHD","seq":12,"t_ns":4123456789,"value":{"event":"attached","pid":7}})");
}

// Stream bytes are a string when UTF-8, base64 otherwise; "encoding" says which.
TEST(FrameFormat, JsonEncodesStreamBytes) {
  auto j = nlohmann::json::parse(ktstr::host::frame_to_json(frame(w::kSout, 1, 2, "hi\n")));
  EXPECT_EQ(j["encoding"], "text");
  EXPECT_EQ(j["value"], "hi\n");
  j = nlohmann::json::parse(
      ktstr::host::frame_to_json(frame(w::kSerr, 1, 2, std::string_view("\xff\x00", 2))));
  EXPECT_EQ(j["encoding"], "base64");
  EXPECT_EQ(j["value"], "/wA=");
}

// A control value that is not a JSON object is shown raw, flagged, and reported to the caller.
TEST(FrameFormat, JsonFlagsInvalidControlValue) {
  for (std::string_view bad : {"not json", "[1,2]", R"({"a":)", "\xff{}"}) {
    bool ok = true;
    auto j = nlohmann::json::parse(ktstr::host::frame_to_json(frame(w::kPhas, 3, 4, bad), &ok));
    EXPECT_FALSE(ok) << bad;
    EXPECT_EQ(j["invalid_json"], true) << bad;
    EXPECT_TRUE(j["value"].is_string()) << bad;
  }
}

// Control frames become one timestamped line; invalid ones are marked.
TEST(FrameFormat, TextShowsControlFrameOnOneLine) {
  TextFormatter t;
  std::string out;
  bool ok = false;
  t.format(frame(w::kSchd, 12, 4123456789ull, R"({"event":"attached"})"), out, &ok);
  EXPECT_TRUE(ok);
  EXPECT_EQ(out, "[   4.123456] #12 SCHD {\"event\":\"attached\"}\n");
  out.clear();
  t.format(frame(w::kExit, 13, 5000000000ull, "oops\n"), out, &ok);
  EXPECT_FALSE(ok);
  EXPECT_EQ(out, "[   5.000000] #13 EXIT oops\\n  (value is not a JSON object)\n");
}

// Stream lines split across frames are joined; streams keep separate partial lines; the rest is
// flushed at the end.
TEST(FrameFormat, TextJoinsPartialLinesPerStream) {
  TextFormatter t;
  std::string out;
  t.format(frame(w::kSout, 1, 0, "hel"), out);
  t.format(frame(w::kSerr, 2, 0, "warn"), out);
  t.format(frame(w::kSout, 3, 0, "lo\nwor"), out);
  EXPECT_EQ(out, "SOUT| hello\n");
  t.format(frame(w::kSerr, 4, 0, "ing\n\n"), out);
  EXPECT_EQ(out, "SOUT| hello\nSERR| warning\nSERR| \n");
  t.format(frame(w::kSout, 5, 0, "ld\x01"), out);
  t.flush(out);
  EXPECT_EQ(out, "SOUT| hello\nSERR| warning\nSERR| \nSOUT| world\\x01\n");
  std::string again;
  t.flush(again);
  EXPECT_EQ(again, "");
}

// A line that never ends is emitted in bounded pieces instead of growing without limit.
TEST(FrameFormat, TextBoundsEndlessLine) {
  TextFormatter t;
  std::string out, chunk(4096, 'x');
  for (int i = 0; i < 32; ++i) t.format(frame(w::kSlog, uint32_t(i), 0, chunk), out);
  EXPECT_EQ(out.size(), 2u * (6 + 64 * 1024 + 1));
  EXPECT_TRUE(out.starts_with("SLOG| xxx"));
}
