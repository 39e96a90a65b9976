// SPEC's value as init reads it (src/init/warm_start.cpp): what the host's spec_value writes is
// taken member by member, and untrusted variations are refused with a reason.
#include <gtest/gtest.h>

#include <string>

#include "warm_start.hpp"

using ktstr::init::parse_spec;
using ktstr::init::Spec;

namespace {
const std::string kHex64(128, 'a');
std::string spec_json(const std::string& words = R"(["KTSTR_TOPO=1,1,2,1","KTSTR_LOG=debug"])",
                      const std::string& entropy = kHex64) {
  return R"({"archive_bytes":1024,"archive_frames":1,"entropy":")" + entropy +
         R"(","realtime_ns":1764000000123456789,"words":)" + words + "}";
}
}  // namespace

TEST(WarmStart, ParsesTheHostsSpec) {
  Spec s;
  std::string err;
  ASSERT_TRUE(parse_spec(spec_json(), s, err)) << err;
  EXPECT_EQ(s.words, (std::vector<std::string>{"KTSTR_TOPO=1,1,2,1", "KTSTR_LOG=debug"}));
  EXPECT_EQ(s.realtime_ns, 1764000000123456789ull);
  EXPECT_EQ(s.entropy, std::string(64, '\xaa'));
  EXPECT_EQ(s.archive_bytes, 1024u);
  EXPECT_EQ(s.archive_frames, 1u);
  ASSERT_TRUE(parse_spec(spec_json("[]"), s, err)) << err;
  EXPECT_TRUE(s.words.empty());
  // Escapes and unknown members of a plain type are fine.
  ASSERT_TRUE(parse_spec(R"({"x":"y\"z","n":5,"l":["a"],)" + spec_json().substr(1), s, err)) << err;
  ASSERT_TRUE(parse_spec(spec_json(R"(["A\u0041\/"])"), s, err)) << err;
  EXPECT_EQ(s.words[0], "AA/");
}

TEST(WarmStart, RefusesABadSpec) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "not a JSON object"},
      {"{}", "an empty object"},
      {spec_json("[1]"), "words: not an array of strings"},
      {spec_json(R"(["a")"), "words: not an array of strings"},
      {spec_json("[]", "abc"), "entropy: not 1-512 bytes as hex"},
      {spec_json("[]", "zz"), "entropy: not 1-512 bytes as hex"},
      {spec_json("[]", ""), "entropy: not 1-512 bytes as hex"},
      {R"({"archive_frames":4294967296})", "archive_frames: not a frame count"},
      {R"({"realtime_ns":-1})", "realtime_ns: not an unsigned integer"},
      {R"({"x":true})", "member x: a value of no type SPEC uses"},
      {spec_json() + "x", "bytes after the object"},
      {R"({"words":[]})", "no realtime_ns member"},
      {R"({"words":["a\u0100"]})", "words: not an array of strings"},
  };
  for (const auto& [json, want] : cases) {
    Spec s;
    std::string err;
    EXPECT_FALSE(parse_spec(json, s, err)) << json;
    EXPECT_EQ(err, "bad SPEC: " + want) << json;
  }
}
