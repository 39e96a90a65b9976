// What the host tells the guest on its cmdline: the Config it fills from a session's options
// (guest_config.cpp), written by the common encoder.
#include "guest_config.hpp"

#include <gtest/gtest.h>

#include "ktstr/cmdline.hpp"

namespace ktstr::host {
namespace {

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& w : v) s += w + " ";
  return s;
}

// `run`: the VM's shape first, then the options' keys in the documented order; the suite's
// attempt number is an option like the others.
TEST(GuestConfig, RunCarriesShapeOptionsAndTheAttempt) {
  RunOptions o;
  o.vm.smp = 3;
  o.vm.timeout_s = 30;
  o.guest_log_level = "debug";
  o.attach_timeout_ms = 1500;
  o.no_telemetry = true;
  o.stats_ms = 250;
  o.attempt = 2;
  auto words = guest_cmdline_words(o, VmMode::run, {});
  EXPECT_EQ(words, (std::vector<std::string>{"KTSTR_TOPO=1,1,3,1", "KTSTR_TIMEOUT=30", "KTSTR_LOG=debug",
                                             "KTSTR_ATTACH_TIMEOUT_MS=1500", "KTSTR_TELEMETRY=0",
                                             "KTSTR_STATS_MS=250", "KTSTR_ATTEMPT=2"}))
      << joined(words);
  auto r = parse_cmdline(joined(words));
  EXPECT_TRUE(r.warnings.empty()) << joined(r.warnings);
  EXPECT_EQ(r.config, guest_config(o, VmMode::run, {}));
}

// A plain run says only its shape: every other key keeps init's default.
TEST(GuestConfig, PlainRunSaysOnlyItsShape) {
  EXPECT_EQ(guest_cmdline_words(RunOptions{}, VmMode::run, {}), std::vector<std::string>{"KTSTR_TOPO=1,1,2,1"});
}

// The on-failure hook's keys go out only with a hook (the kernel's limit of 32 words): the
// expected status (a suite's expect_exit) and the hook's timeout.
TEST(GuestConfig, HookKeysOnlyWithAHook) {
  RunOptions o;
  o.expect_exit = 3;
  o.on_failure_timeout_s = 9;
  EXPECT_EQ(guest_cmdline_words(o, VmMode::run, {}), std::vector<std::string>{"KTSTR_TOPO=1,1,2,1"});
  o.pack.on_failure = "dmesg";
  EXPECT_EQ(guest_cmdline_words(o, VmMode::run, {}),
            (std::vector<std::string>{"KTSTR_TOPO=1,1,2,1", "KTSTR_EXPECT_EXIT=3", "KTSTR_ON_FAILURE_TIMEOUT=9"}));
}

// `run` has no terminal: the host's size and names stay out of its cmdline.
TEST(GuestConfig, RunLeavesTheTerminalOut) {
  auto words = guest_cmdline_words(RunOptions{}, VmMode::run, {100, 30, "xterm", "truecolor"});
  EXPECT_EQ(joined(words).find("KTSTR_MODE"), std::string::npos) << joined(words);
  EXPECT_EQ(joined(words).find("KTSTR_COLS"), std::string::npos) << joined(words);
  EXPECT_EQ(joined(words).find("KTSTR_TERM"), std::string::npos) << joined(words);
}

// --exec is shell mode too, with the terminal's names (its size is the interactive shell's).
TEST(GuestConfig, ExecIsShellModeWithTheTerminalsNames) {
  Config c = guest_config(RunOptions{}, VmMode::exec, {0, 0, "xterm", ""});
  EXPECT_EQ(c.mode, Mode::shell);
  EXPECT_EQ(c.term, "xterm");
}

// The test hook's raw words come after the Config's, so one of them wins over ours.
TEST(GuestConfig, GuestKeysComeLastAndWin) {
  RunOptions o;
  o.vm.timeout_s = 30;
  o.guest_keys = {"KTSTR_TIMEOUT=5", "KTSTR_TOPO=1,1,1,1"};
  auto words = guest_cmdline_words(o, VmMode::run, {});
  ASSERT_GE(words.size(), 2u);
  EXPECT_EQ(words[words.size() - 2], "KTSTR_TIMEOUT=5");
  auto r = parse_cmdline(joined(words));
  EXPECT_EQ(r.config.timeout_s, 5u);
  EXPECT_EQ(r.config.topo.cpus(), 1u);
}

}  // namespace
}  // namespace ktstr::host
