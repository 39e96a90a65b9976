// The kernel cmdline keys `ktstr-vm shell` passes to the guest (guest_config.cpp fills the Config).
#include <gtest/gtest.h>

#include <algorithm>

#include "guest_config.hpp"
#include "ktstr/cmdline.hpp"

using ktstr::host::HostTerminal;
using ktstr::host::RunOptions;
using ktstr::host::VmMode;

namespace {
bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }
std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& k : v) s += k + " ";
  return s;
}
std::vector<std::string> shell_keys(const RunOptions& o, const HostTerminal& t) {
  return ktstr::host::guest_cmdline_words(o, VmMode::interactive, t);
}
}  // namespace

// Mode, size and terminal names reach the guest, and the guest's parser reads them back as sent.
TEST(ShellKeys, CarryModeSizeAndTerminal) {
  RunOptions o;
  auto keys = shell_keys(o, {132, 43, "xterm-256color", "truecolor"});
  EXPECT_TRUE(has(keys, "KTSTR_MODE=shell"));
  auto parsed = ktstr::parse_cmdline(joined(keys));
  EXPECT_TRUE(parsed.warnings.empty()) << joined(parsed.warnings);
  EXPECT_EQ(parsed.config.mode, ktstr::Mode::shell);
  EXPECT_EQ(parsed.config.cols, 132);
  EXPECT_EQ(parsed.config.rows, 43);
  EXPECT_EQ(parsed.config.term, "xterm-256color");
  EXPECT_EQ(parsed.config.colorterm, "truecolor");
}

// No terminal size (not a tty) and unsafe or missing TERM values are left out, not mangled.
TEST(ShellKeys, LeaveOutUnknownSizeAndUnsafeTerm) {
  RunOptions o;
  auto keys = shell_keys(o, {0, 0, "evil term\"x", ""});
  EXPECT_EQ(joined(keys).find("KTSTR_COLS"), std::string::npos);
  EXPECT_EQ(joined(keys).find("KTSTR_TERM"), std::string::npos);
  EXPECT_EQ(joined(keys).find("KTSTR_COLORTERM"), std::string::npos);
}

// The common run options (timeout, log level) apply to shell mode as well.
TEST(ShellKeys, IncludeRunOptions) {
  RunOptions o;
  o.vm.timeout_s = 30;
  o.guest_log_level = "debug";
  auto keys = shell_keys(o, {80, 24, "linux", ""});
  EXPECT_TRUE(has(keys, "KTSTR_TIMEOUT=30"));
  EXPECT_TRUE(has(keys, "KTSTR_LOG=debug"));
}
