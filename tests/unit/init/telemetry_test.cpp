// sched_ext's root/events text as STAT's "events" members (src/init/telemetry.cpp): each
// "NAME value" line becomes "NAME":value; a line that is not a name and a number is left out.
#include <gtest/gtest.h>

#include "telemetry.hpp"

using ktstr::init::events_json_members;

TEST(TelemetryEvents, EachNameAndNumberLineBecomesAMember) {
  EXPECT_EQ(events_json_members("SCX_EV_SELECT_CPU_FALLBACK        12\nSCX_EV_BYPASS_DURATION 0\n"),
            "\"SCX_EV_SELECT_CPU_FALLBACK\":12,\"SCX_EV_BYPASS_DURATION\":0");
  EXPECT_EQ(events_json_members("a\t7  \nb 8"), "\"a\":7,\"b\":8");  // tabs, trailing blanks, no last newline
  EXPECT_EQ(events_json_members(""), "");
}

TEST(TelemetryEvents, LinesThatAreNotANameAndANumberAreLeftOut) {
  for (const char* bad : {"alone", " 5", "name", "name ", "name x", "name -1", "name 1 2", "na-me 3", "na\"me 3",
                          "name 123456789012345678901"}) {  // 21 digits: more than a u64 holds
    EXPECT_EQ(events_json_members(bad), "") << bad;
    EXPECT_EQ(events_json_members(std::string(bad) + "\nok 1\n"), "\"ok\":1") << bad;
  }
}
