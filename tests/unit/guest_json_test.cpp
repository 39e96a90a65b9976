// Checked reads of untrusted JSON (src/host/base/guest_json.cpp): a missing member, a member of
// another type or out of range reads as absent, and nothing throws.
#include "guest_json.hpp"

#include <gtest/gtest.h>

namespace ktstr::host::guest_json {
namespace {

using nlohmann::json;

const json kValue = json::parse(R"({"n":7,"neg":-1,"big":18446744073709551615,"f":1.5,"s":"text",
                                   "b":true,"o":{"k":1},"a":[1,2]})");

TEST(GuestJson, ReadsMembersOfTheirOwnType) {
  EXPECT_EQ(uint(kValue, "n"), 7u);
  EXPECT_EQ(uint(kValue, "big"), UINT64_MAX);
  EXPECT_EQ(string(kValue, "s"), "text");
  EXPECT_EQ(boolean(kValue, "b"), true);
  ASSERT_NE(object(kValue, "o"), nullptr);
  EXPECT_EQ(uint(*object(kValue, "o"), "k"), 1u);
  ASSERT_NE(array(kValue, "a"), nullptr);
  EXPECT_EQ(array(kValue, "a")->size(), 2u);
  EXPECT_EQ(uint_value((*array(kValue, "a"))[1]), 2u);
}

TEST(GuestJson, AMemberOfAnotherTypeReadsAsAbsent) {
  EXPECT_EQ(uint(kValue, "neg"), std::nullopt);
  EXPECT_EQ(uint(kValue, "f"), std::nullopt);
  EXPECT_EQ(uint(kValue, "s"), std::nullopt);
  EXPECT_EQ(string(kValue, "n"), std::nullopt);
  EXPECT_EQ(boolean(kValue, "n"), std::nullopt);
  EXPECT_EQ(object(kValue, "a"), nullptr);
  EXPECT_EQ(array(kValue, "o"), nullptr);
  EXPECT_EQ(uint_value(json("1")), std::nullopt);
}

TEST(GuestJson, AMissingMemberOrANonObjectReadsAsAbsent) {
  EXPECT_EQ(field(kValue, "nope"), nullptr);
  EXPECT_EQ(uint(kValue, "nope"), std::nullopt);
  for (const json& not_object : {json(), json(3), json("s"), json::array({1})}) {
    EXPECT_EQ(field(not_object, "n"), nullptr) << not_object.dump();
    EXPECT_EQ(string(not_object, "s"), std::nullopt) << not_object.dump();
    EXPECT_EQ(object(not_object, "o"), nullptr) << not_object.dump();
  }
}

TEST(GuestJson, BoundsReadAsAbsentBeyondTheLimit) {
  EXPECT_EQ(uint(kValue, "n", 7), 7u);
  EXPECT_EQ(uint(kValue, "n", 6), std::nullopt);
  EXPECT_EQ(uint_value(json(8), 7), std::nullopt);
  EXPECT_EQ(string(kValue, "s", 4), "text");
  EXPECT_EQ(string(kValue, "s", 3), std::nullopt);
}

}  // namespace
}  // namespace ktstr::host::guest_json
