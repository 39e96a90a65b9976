// SYRQ from the host: only the SysRq keys on init's allow-list are pressed, the rest refused.
#include <gtest/gtest.h>

#include "host_control.hpp"

using ktstr::init::sysrq_keys;

TEST(HostControlSysrq, TakesTheAllowedKeysInOrderOnce) {
  std::string allowed, refused;
  ASSERT_TRUE(sysrq_keys(R"({"keys":"Dw"})", allowed, refused));
  EXPECT_EQ(allowed, "Dw");
  EXPECT_EQ(refused, "");
  ASSERT_TRUE(sysrq_keys(R"({ "keys" : "wDwD" })", allowed, refused));
  EXPECT_EQ(allowed, "wD");
}

// b reboots, c crashes, i kills every process, W is not w: none of them from the host.
TEST(HostControlSysrq, RefusesEveryOtherKey) {
  std::string allowed, refused;
  ASSERT_TRUE(sysrq_keys(R"({"keys":"bDcieW\\"})", allowed, refused));
  EXPECT_EQ(allowed, "D");
  EXPECT_EQ(refused, "bcieW\\");
}

TEST(HostControlSysrq, AValueWithoutAKeysStringIsBad) {
  std::string allowed, refused;
  for (const char* bad : {"{}", R"({"keys":3})", R"({"keys":"Dw)", "not json", R"({"keys" "Dw"})"})
    EXPECT_FALSE(sysrq_keys(bad, allowed, refused)) << bad;
}

// A long value is cut to a few keys: the host asks for two.
TEST(HostControlSysrq, ALongValueIsCut) {
  std::string allowed, refused;
  ASSERT_TRUE(sysrq_keys("{\"keys\":\"" + std::string(100000, 'x') + "D\"}", allowed, refused));
  EXPECT_EQ(allowed, "");
  EXPECT_EQ(refused, "x");
}
