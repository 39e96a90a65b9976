// Kernel cmdline keys (docs/cmdline.md): good values parsed, bad ones warned about and defaulted.
#include <gtest/gtest.h>

#include "ktstr/cmdline.hpp"

using ktstr::Mode;
using ktstr::parse_cmdline;

// Every key with a valid value lands in the config; other kernel words are ignored.
TEST(Cmdline, ParsesEveryKey) {
  auto r = parse_cmdline(
      "console=ttyS0 quiet KTSTR_MODE=shell KTSTR_LOG=debug KTSTR_TIMEOUT=30 KTSTR_ATTACH_TIMEOUT_MS=1500 "
      "KTSTR_HEARTBEAT_MS=250 KTSTR_COLS=120 KTSTR_ROWS=40 KTSTR_TERM=xterm-256color "
      "KTSTR_COLORTERM=truecolor KTSTR_TOPO=1,2,4,2 KTSTR_DEBUG_FAULT=abort\n");
  EXPECT_TRUE(r.warnings.empty()) << r.warnings.front();
  const auto& c = r.config;
  EXPECT_EQ(c.mode, Mode::shell);
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.timeout_s, 30u);
  EXPECT_EQ(c.attach_timeout_ms, 1500u);
  EXPECT_EQ(c.heartbeat_ms, 250u);
  EXPECT_EQ(c.cols, 120);
  EXPECT_EQ(c.rows, 40);
  EXPECT_EQ(c.term, "xterm-256color");
  EXPECT_EQ(c.colorterm, "truecolor");
  EXPECT_EQ(c.topo.cpus(), 16u);
  EXPECT_EQ(c.debug_fault, "abort");
}

// KTSTR_TOPO's L is the TOTAL LLC count (ktstr's meaning), a multiple of the node count.
TEST(Cmdline, TopologyLlcsAreTotal) {
  auto r = parse_cmdline("KTSTR_TOPO=2,4,2,1");
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_EQ(r.config.topo, (ktstr::Topology{2, 4, 2, 1}));
  EXPECT_EQ(r.config.topo.cpus(), 8u);
  EXPECT_EQ(r.config.topo.llcs_per_node(), 2u);

  r = parse_cmdline("KTSTR_TOPO=2,3,2,1");
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("multiple of the node count"), std::string::npos) << r.warnings[0];
  EXPECT_FALSE(r.config.topo.set());
}

// Garbage values keep the default and produce one warning each, naming key and value.
TEST(Cmdline, BadValuesWarnAndKeepDefaults) {
  auto r = parse_cmdline("KTSTR_MODE=fast KTSTR_TIMEOUT=-1 KTSTR_ATTACH_TIMEOUT_MS=0 KTSTR_HEARTBEAT_MS=soon "
                         "KTSTR_COLS=99999 KTSTR_TERM=a;rm KTSTR_TOPO=1,2,x KTSTR_LOG=loud KTSTR_DEBUG_FAULT=oops");
  ASSERT_EQ(r.warnings.size(), 9u);
  EXPECT_NE(r.warnings[0].find("KTSTR_MODE=fast"), std::string::npos);
  ktstr::Config defaults;
  EXPECT_EQ(r.config.mode, defaults.mode);
  EXPECT_EQ(r.config.timeout_s, defaults.timeout_s);
  EXPECT_EQ(r.config.attach_timeout_ms, defaults.attach_timeout_ms);
  EXPECT_EQ(r.config.heartbeat_ms, defaults.heartbeat_ms);
  EXPECT_EQ(r.config.cols, defaults.cols);
  EXPECT_EQ(r.config.term, defaults.term);
  EXPECT_FALSE(r.config.topo.set());
  EXPECT_EQ(r.config.log_level, defaults.log_level);
  EXPECT_TRUE(r.config.debug_fault.empty());
}

// Quotes group words as the kernel does; words after "--" are init's argv, not keys.
TEST(Cmdline, QuotesAndArgvSeparator) {
  auto r = parse_cmdline("\"KTSTR_TERM=xterm\" -- KTSTR_MODE=shell");
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_EQ(r.config.term, "xterm");
  EXPECT_EQ(r.config.mode, Mode::test);
}

// An unknown KTSTR_ key is reported, not silently ignored.
TEST(Cmdline, UnknownKeyIsReported) {
  auto r = parse_cmdline("KTSTR_TIMEOUTS=5");
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("unknown key"), std::string::npos);
}

// KTSTR_ATTEMPT: a suite's attempt number, 1-1000; anything else is warned about and unset.
TEST(Cmdline, AttemptIsFrom1To1000OrWarnedAboutAndUnset) {
  EXPECT_EQ(parse_cmdline("KTSTR_ATTEMPT=2").config.attempt, 2u);
  EXPECT_EQ(parse_cmdline("").config.attempt, 0u);
  for (const char* bad : {"KTSTR_ATTEMPT=0", "KTSTR_ATTEMPT=1001", "KTSTR_ATTEMPT=x"}) {
    auto r = parse_cmdline(bad);
    EXPECT_EQ(r.config.attempt, 0u) << bad;
    EXPECT_EQ(r.warnings.size(), 1u) << bad;
  }
}

// Scheduler telemetry keys: on by default with the heartbeat's period; 0/1 and a period in ms.
TEST(Cmdline, TelemetryIsOnByDefaultAndBadValuesKeepTheDefaults) {
  ktstr::Config defaults;
  EXPECT_TRUE(defaults.telemetry);
  EXPECT_EQ(defaults.stats_ms, -1);
  auto r = parse_cmdline("KTSTR_TELEMETRY=0 KTSTR_STATS_MS=250");
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_FALSE(r.config.telemetry);
  EXPECT_EQ(r.config.stats_ms, 250);
  auto bad = parse_cmdline("KTSTR_TELEMETRY=yes KTSTR_STATS_MS=-5");
  ASSERT_EQ(bad.warnings.size(), 2u);
  EXPECT_TRUE(bad.config.telemetry);
  EXPECT_EQ(bad.config.stats_ms, -1);
}
