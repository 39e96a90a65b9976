// The host watchdog every VM session uses: hard deadline and silence, naming the hung phase.
#include "watchdog.hpp"

#include <gtest/gtest.h>

using ktstr::host::Watchdog;
using std::chrono::seconds;

namespace {
const Watchdog::Clock::time_point t0{};
}

// Past the hard deadline it fires once, naming the deadline and the phase.
TEST(Watchdog, HardDeadlineNamesThePhase) {
  Watchdog w(60, 30, 120);
  w.start(t0);
  for (int s = 10; s <= 60; s += 10) {
    w.frames(uint64_t(s), t0 + seconds(s));
    EXPECT_FALSE(w.check(t0 + seconds(s), true, "payload_started")) << s;
  }
  w.frames(61, t0 + seconds(61));
  auto why = w.check(t0 + seconds(61), true, "payload_started");
  ASSERT_TRUE(why);
  EXPECT_EQ(*why, "watchdog: run exceeded 60 s; hung in payload_started");
  EXPECT_TRUE(w.fired());
  EXPECT_FALSE(w.check(t0 + seconds(62), true, "payload_started"));  // once
}

// Frames keep it quiet; silence after HELO uses the short limit, before HELO the boot limit.
TEST(Watchdog, SilenceBeforeAndAfterHelo) {
  Watchdog boot(0, 30, 120);
  boot.start(t0);
  EXPECT_FALSE(boot.check(t0 + seconds(100), false, "boot"));
  auto why = boot.check(t0 + seconds(121), false, "boot");
  ASSERT_TRUE(why);
  EXPECT_EQ(*why, "watchdog: no frame from the guest for 120 s; hung in boot");

  Watchdog run(0, 30, 120);
  run.start(t0);
  run.frames(5, t0 + seconds(20));
  EXPECT_FALSE(run.check(t0 + seconds(50), true, "scheduler_attached"));
  why = run.check(t0 + seconds(51), true, "scheduler_attached");
  ASSERT_TRUE(why);
  EXPECT_EQ(*why, "watchdog: no frame from the guest for 30 s; hung in scheduler_attached");
}

// No hard deadline (0): only silence can fire.
TEST(Watchdog, ZeroMeansNoHardDeadline) {
  Watchdog w(0, 30, 120);
  w.start(t0);
  for (int s = 10; s <= 100000; s += 10) {
    w.frames(uint64_t(s), t0 + seconds(s));
    ASSERT_FALSE(w.check(t0 + seconds(s), true, "payload_started")) << s;
  }
}

// Every limit 0 (the interactive shell's default: a person decides when it is stuck): never.
TEST(Watchdog, AllZeroNeverFires) {
  Watchdog w(0, 0, 0);
  w.start(t0);
  EXPECT_FALSE(w.check(t0 + seconds(1000000), false, "boot"));
  EXPECT_FALSE(w.check(t0 + seconds(2000000), true, "payload_started"));
}
