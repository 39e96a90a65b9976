// The host watchdog every VM session uses: hard deadline and silence, naming the hung phase.
#include "watchdog.hpp"

#include "vm_session.hpp"

#include <gtest/gtest.h>

using ktstr::host::default_boot_timeout_s;
using ktstr::host::RunOptions;
using ktstr::host::session_watchdog;
using ktstr::host::VmMode;
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

// Frames keep it quiet; silence after HELO uses the short limit, before HELO the boot deadline,
// whose reason says the boot was still running, on how many vCPUs under which accelerator.
TEST(Watchdog, SilenceBeforeAndAfterHelo) {
  Watchdog boot(0, 30, 360, "240 vCPUs under TCG");
  boot.start(t0);
  EXPECT_FALSE(boot.check(t0 + seconds(359), false, "boot"));
  auto why = boot.check(t0 + seconds(361), false, "boot");
  ASSERT_TRUE(why);
  EXPECT_EQ(*why, "watchdog: boot still running after 360 s, no frame from the guest yet (240 vCPUs under TCG); "
                  "--boot-timeout SECONDS allows a longer boot");

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

// N63: the boot deadline grows with the vCPU count, faster than linearly under TCG (each vCPU
// brought up waits on all the others, emulated in turn on one thread): 120 + N + N^2/64 s;
// under KVM 120 + N/2.
TEST(Watchdog, BootDeadlineGrowsWithTheVcpus) {
  EXPECT_EQ(default_boot_timeout_s(1, false), 121u);
  EXPECT_EQ(default_boot_timeout_s(2, false), 122u);
  EXPECT_EQ(default_boot_timeout_s(64, false), 248u);
  EXPECT_EQ(default_boot_timeout_s(128, false), 504u);
  EXPECT_EQ(default_boot_timeout_s(240, false), 1260u);
  EXPECT_EQ(default_boot_timeout_s(240, true), 240u);
  for (unsigned n = 1; n < 4096; ++n) ASSERT_LT(default_boot_timeout_s(n, false), default_boot_timeout_s(n + 1, false));
}

// What a session gets: the preset near-max-llc (240 vCPUs) boots against 1260 s, not a fixed
// 120 s; --boot-timeout replaces the default; the default hard deadline counts the boot in.
TEST(Watchdog, SessionWatchdogFromTheOptions) {
  RunOptions o;
  std::string err;
  o.vm.topology = *ktstr::parse_topology("near-max-llc", err);
  Watchdog w = session_watchdog(o, VmMode::run, "tcg");
  EXPECT_EQ(w.boot_s(), 1260u);
  EXPECT_EQ(w.hard_s(), 1260u + 3600u);
  o.vm.timeout_s = 30;
  EXPECT_EQ(session_watchdog(o, VmMode::run, "tcg").hard_s(), 1260u + 30u + 120u);
  o.boot_timeout_s = 900;
  w = session_watchdog(o, VmMode::exec, "kvm");
  EXPECT_EQ(w.boot_s(), 900u);
  EXPECT_EQ(w.hard_s(), 900u + 30u + 120u);
  o.watchdog_s = 50;
  EXPECT_EQ(session_watchdog(o, VmMode::run, "tcg").hard_s(), 50u);
  w.start(t0);
  auto why = w.check(t0 + seconds(901), false, "boot");
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("(240 vCPUs under KVM)"), std::string::npos) << *why;

  // The interactive shell: only what it is given.
  RunOptions shell;
  EXPECT_EQ(session_watchdog(shell, VmMode::interactive, "tcg").boot_s(), 0u);
  EXPECT_EQ(session_watchdog(shell, VmMode::interactive, "tcg").hard_s(), 0u);
  shell.boot_timeout_s = 200;
  EXPECT_EQ(session_watchdog(shell, VmMode::interactive, "tcg").boot_s(), 200u);
  // --smp 1: "1 vCPU".
  RunOptions one;
  one.vm.smp = 1;
  w = session_watchdog(one, VmMode::run, "tcg");
  EXPECT_EQ(w.boot_s(), 121u);
  w.start(t0);
  EXPECT_NE(w.check(t0 + seconds(122), false, "boot")->find("(1 vCPU under TCG)"), std::string::npos);
}
