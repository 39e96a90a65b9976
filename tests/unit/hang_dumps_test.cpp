// The dumps the host asks for when its watchdog fires: asked once, then the kill after a bounded
// wait whether the guest answers or not; no wait when there was nobody to ask.
#include "hang_dumps.hpp"

#include <gtest/gtest.h>

using ktstr::host::HangDumps;
using std::chrono::milliseconds;

namespace {
const HangDumps::Clock::time_point t0{};
}

TEST(HangDumps, AsksOnceThenKillsAfterTheWaitEvenIfTheGuestNeverAnswers) {
  HangDumps d(milliseconds(5000));
  int asked = 0;
  auto ask = [&] { return ++asked, true; };
  EXPECT_FALSE(d.kill_due(t0));  // nothing fired yet
  d.fired(t0, ask);
  EXPECT_EQ(asked, 1);
  EXPECT_TRUE(d.requested());
  d.fired(t0 + milliseconds(500), ask);  // the watchdog fires once; a repeat asks nothing more
  EXPECT_EQ(asked, 1);
  EXPECT_FALSE(d.kill_due(t0 + milliseconds(4999)));
  EXPECT_TRUE(d.kill_due(t0 + milliseconds(5000)));  // nothing came back: the wait bounds it
  EXPECT_TRUE(d.kill_due(t0 + milliseconds(60000)));
}

TEST(HangDumps, NoGuestToAskMeansAKillAtOnce) {
  HangDumps d;  // the default wait
  d.fired(t0, [] { return false; });  // before HELO, or COM2 not connected
  EXPECT_FALSE(d.requested());
  EXPECT_TRUE(d.kill_due(t0));
}

// The default is seconds: long enough for the dumps to leave a loaded guest, short against a
// hung run's deadline.
TEST(HangDumps, DefaultWaitIsAFewSeconds) {
  EXPECT_GE(HangDumps::kWait, milliseconds(2000));
  EXPECT_LE(HangDumps::kWait, milliseconds(10000));
}
