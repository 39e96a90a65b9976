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

namespace {

// A Config with every field away from its default, each value one the parser accepts.
ktstr::Config every_key_set() {
  ktstr::Config c;
  c.mode = Mode::shell;
  c.log_level = "debug";
  c.timeout_s = 604800;
  c.attach_timeout_ms = 1;
  c.heartbeat_ms = 0;
  c.telemetry = false;
  c.stats_ms = 0;
  c.cols = 10000;
  c.rows = 1;
  c.term = "xterm-256color";
  c.colorterm = "truecolor";
  c.topo = ktstr::Topology{2, 4, 2, 2};
  c.debug_fault = "segv";
  c.attempt = 1000;
  c.stdin_forward = true;
  c.expect_exit = 255;
  c.on_failure_timeout_s = 3600;
  c.output_limit = 18446744073709551615ull;
  c.warm = true;
  return c;
}

std::string joined(const std::vector<std::string>& words) {
  std::string s;
  for (const auto& w : words) s += w + " ";
  return s;
}

}  // namespace

// The encoder and the parser agree on every key: what the host writes, init reads back as it was.
TEST(Cmdline, EveryKeyRoundTrips) {
  ktstr::Config c = every_key_set();
  std::vector<std::string> words = ktstr::cmdline_words(c);
  EXPECT_EQ(words.size(), 19u) << joined(words);  // one word per key of docs/cmdline.md
  auto r = parse_cmdline(joined(words));
  EXPECT_TRUE(r.warnings.empty()) << joined(r.warnings);
  EXPECT_EQ(r.config, c) << joined(words);
}

// Each key alone also round-trips, and leaves every other field at its default.
TEST(Cmdline, EachKeyAloneRoundTrips) {
  const ktstr::Config all = every_key_set();
  const ktstr::Config defaults;
  auto with_one = [&](auto field) {
    ktstr::Config c = defaults;
    c.*field = all.*field;
    return c;
  };
  std::vector<ktstr::Config> singles = {
      with_one(&ktstr::Config::mode),      with_one(&ktstr::Config::log_level),
      with_one(&ktstr::Config::timeout_s), with_one(&ktstr::Config::attach_timeout_ms),
      with_one(&ktstr::Config::heartbeat_ms), with_one(&ktstr::Config::telemetry),
      with_one(&ktstr::Config::stats_ms),  with_one(&ktstr::Config::cols),
      with_one(&ktstr::Config::rows),      with_one(&ktstr::Config::term),
      with_one(&ktstr::Config::colorterm), with_one(&ktstr::Config::topo),
      with_one(&ktstr::Config::debug_fault), with_one(&ktstr::Config::attempt),
      with_one(&ktstr::Config::stdin_forward), with_one(&ktstr::Config::expect_exit),
      with_one(&ktstr::Config::on_failure_timeout_s),
      with_one(&ktstr::Config::output_limit), with_one(&ktstr::Config::warm)};
  for (const ktstr::Config& c : singles) {
    std::vector<std::string> words = ktstr::cmdline_words(c);
    ASSERT_EQ(words.size(), 1u) << joined(words);
    auto r = parse_cmdline(words[0]);
    EXPECT_TRUE(r.warnings.empty()) << words[0];
    EXPECT_EQ(r.config, c) << words[0];
  }
}

// Defaults are not written: a run with nothing to say adds no word (the kernel's limit of 32).
TEST(Cmdline, DefaultsWriteNoWords) {
  EXPECT_TRUE(ktstr::cmdline_words(ktstr::Config{}).empty());
}

// The encoder writes a value as it is: one the guest refuses is warned about there, as any bad
// word would be, and the default stays.
TEST(Cmdline, AnOutOfRangeValueIsWrittenAndTheGuestWarns) {
  ktstr::Config c;
  c.attach_timeout_ms = 99999999;
  std::vector<std::string> words = ktstr::cmdline_words(c);
  ASSERT_EQ(words.size(), 1u);
  EXPECT_EQ(words[0], "KTSTR_ATTACH_TIMEOUT_MS=99999999");
  auto r = parse_cmdline(words[0]);
  EXPECT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.config.attach_timeout_ms, ktstr::Config{}.attach_timeout_ms);
}

// The terminal-name rule the host and the guest share.
TEST(Cmdline, TerminalNamesAreOneSafeWord) {
  EXPECT_TRUE(ktstr::valid_term("xterm-256color"));
  EXPECT_TRUE(ktstr::valid_term("rxvt-unicode.1+x_y"));
  EXPECT_FALSE(ktstr::valid_term(""));
  EXPECT_FALSE(ktstr::valid_term("evil term\"x"));
  EXPECT_FALSE(ktstr::valid_term("a;rm"));
  EXPECT_FALSE(ktstr::valid_term(std::string(65, 'x')));
  EXPECT_TRUE(ktstr::valid_term(std::string(64, 'x')));
}

// KTSTR_STDIN: off by default (the payload's stdin is /dev/null); 1 turns forwarding on.
TEST(Cmdline, StdinKey) {
  EXPECT_FALSE(ktstr::Config{}.stdin_forward);
  auto r = parse_cmdline("KTSTR_STDIN=1");
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_TRUE(r.config.stdin_forward);
  EXPECT_FALSE(parse_cmdline("KTSTR_STDIN=0").config.stdin_forward);
  auto bad = parse_cmdline("KTSTR_STDIN=yes");
  ASSERT_EQ(bad.warnings.size(), 1u);
  EXPECT_EQ(bad.warnings[0], "KTSTR_STDIN=yes: expected 0 or 1, using the default");
  EXPECT_FALSE(bad.config.stdin_forward);
}

// The on-failure hook's keys: the status that passes (0-255, default 0) and the hook's timeout
// (1-3600 s, default 30); a bad value is warned about and keeps the default.
TEST(Cmdline, OnFailureKeys) {
  ktstr::Config d;
  EXPECT_EQ(d.expect_exit, 0u);
  EXPECT_EQ(d.on_failure_timeout_s, 30u);
  auto r = parse_cmdline("KTSTR_EXPECT_EXIT=3 KTSTR_ON_FAILURE_TIMEOUT=5");
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_EQ(r.config.expect_exit, 3u);
  EXPECT_EQ(r.config.on_failure_timeout_s, 5u);
  auto bad = parse_cmdline("KTSTR_EXPECT_EXIT=256 KTSTR_ON_FAILURE_TIMEOUT=0");
  ASSERT_EQ(bad.warnings.size(), 2u);
  EXPECT_EQ(bad.config.expect_exit, 0u);
  EXPECT_EQ(bad.config.on_failure_timeout_s, 30u);
  EXPECT_EQ(parse_cmdline("KTSTR_ON_FAILURE_TIMEOUT=3601").config.on_failure_timeout_s, 30u);
}

// KTSTR_OUTPUT_LIMIT: 0 by default (no output tree is sent); any u64 byte count; anything else
// is warned about and stays 0.
TEST(Cmdline, OutputLimitKey) {
  EXPECT_EQ(ktstr::Config{}.output_limit, 0u);
  auto r = parse_cmdline("KTSTR_OUTPUT_LIMIT=1073741824");
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_EQ(r.config.output_limit, 1073741824u);
  EXPECT_EQ(ktstr::cmdline_words(r.config), std::vector<std::string>{"KTSTR_OUTPUT_LIMIT=1073741824"});
  for (const char* bad : {"KTSTR_OUTPUT_LIMIT=", "KTSTR_OUTPUT_LIMIT=-1", "KTSTR_OUTPUT_LIMIT=1G",
                          "KTSTR_OUTPUT_LIMIT=18446744073709551616"}) {
    auto b = parse_cmdline(bad);
    EXPECT_EQ(b.warnings.size(), 1u) << bad;
    EXPECT_EQ(b.config.output_limit, 0u) << bad;
  }
}

// KTSTR_WARM: only the snapshot boot has it (docs/cmdline.md); 1 makes init wait for a SPEC,
// anything but 0 or 1 is warned about and leaves a cold boot.
TEST(Cmdline, WarmKey) {
  EXPECT_FALSE(ktstr::Config{}.warm);
  auto r = parse_cmdline("KTSTR_WARM=1");
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_TRUE(r.config.warm);
  EXPECT_EQ(ktstr::cmdline_words(r.config), std::vector<std::string>{"KTSTR_WARM=1"});
  EXPECT_FALSE(parse_cmdline("KTSTR_WARM=0").config.warm);
  for (const char* bad : {"KTSTR_WARM=", "KTSTR_WARM=yes", "KTSTR_WARM=2"}) {
    auto b = parse_cmdline(bad);
    EXPECT_EQ(b.warnings.size(), 1u) << bad;
    EXPECT_FALSE(b.config.warm) << bad;
  }
}
