// Kernel cmdline keys (docs/cmdline.md): the guest's Config as data, with both directions.
// The host fills a Config and writes it with cmdline_words(); init parses /proc/cmdline back
// into one with parse_cmdline(). A new key is one field here, one branch in the parser, one
// line in the encoder, and one value in the round-trip test (tests/unit/cmdline_test.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ktstr/topology.hpp"

namespace ktstr {

enum class Mode { test, shell };

struct Config {
  Mode mode = Mode::test;
  std::string log_level = "info";     // KTSTR_LOG: trace|debug|info|warn|error|off
  uint32_t timeout_s = 0;             // KTSTR_TIMEOUT: payload timeout, 0 = none
  uint32_t attach_timeout_ms = 30000; // KTSTR_ATTACH_TIMEOUT_MS
  uint32_t heartbeat_ms = 1000;       // KTSTR_HEARTBEAT_MS, 0 = off
  bool telemetry = true;              // KTSTR_TELEMETRY=0: no PROG/STAT frames, bpf stats left off
  int64_t stats_ms = -1;              // KTSTR_STATS_MS: STAT sample period, -1 = heartbeat_ms, 0 = none
  uint16_t cols = 0, rows = 0;        // KTSTR_COLS / KTSTR_ROWS, 0 = unknown
  std::string term = "linux";         // KTSTR_TERM
  std::string colorterm;              // KTSTR_COLORTERM
  Topology topo;                      // KTSTR_TOPO=N,L,C,T (L: total LLCs), unset = not checked
  std::string debug_fault;            // KTSTR_DEBUG_FAULT=segv|abort: test hook for crash handling
  uint32_t attempt = 0;               // KTSTR_ATTEMPT: a suite's attempt number (1-based), 0 = unset
  bool stdin_forward = false;         // KTSTR_STDIN=1: the host forwards its stdin (STDI frames)
  uint32_t expect_exit = 0;           // KTSTR_EXPECT_EXIT: the payload status that passes (0-255); another
                                      // status (or a timeout) runs the on-failure hook (/on_failure)
  uint32_t on_failure_timeout_s = 30; // KTSTR_ON_FAILURE_TIMEOUT: the hook's own timeout (1-3600 s)
  uint64_t output_limit = 0;          // KTSTR_OUTPUT_LIMIT: bytes of file data of the output tree
                                      // init sends at teardown; 0 = the host takes no tree
  bool warm = false;                  // KTSTR_WARM=1: a snapshot boot; init sends WAIT and takes
                                      // its test as a SPEC frame and an archive (docs/protocol.md)

  bool operator==(const Config&) const = default;
};

struct CmdlineResult {
  Config config;
  // One line per bad or unknown KTSTR_* value: "KTSTR_TIMEOUT=abc: not a number, using 0".
  std::vector<std::string> warnings;
};

// Parses the kernel command line text (as in /proc/cmdline). Never fails: bad values keep the
// default and add a warning; keys without the KTSTR_ prefix are ignored.
CmdlineResult parse_cmdline(std::string_view text);

// The cmdline words that parse_cmdline reads back into `c`: one `KTSTR_KEY=VALUE` word per field
// that differs from its default (Config{}), none for a default, so the words stay few (the
// kernel hands each to init as an environment variable and panics past 32). Order: KTSTR_TOPO,
// KTSTR_MODE, the terminal (COLS, ROWS, TERM, COLORTERM), then TIMEOUT, LOG, ATTACH_TIMEOUT_MS,
// TELEMETRY, STATS_MS, HEARTBEAT_MS, DEBUG_FAULT, ATTEMPT, STDIN, EXPECT_EXIT, ON_FAILURE_TIMEOUT,
// OUTPUT_LIMIT, WARM. A function of `c` alone: the same
// Config gives the same words, whatever the process's environment.
// Values are written as they are. A value the parser refuses (a number out of its range, an
// unknown log level) reaches the guest, which warns and keeps its default, as for any bad word.
// A string field must be one word (no space, tab, newline or double quote) to survive the
// split: the host passes terminal names through valid_term, and --guest-log takes a list.
std::vector<std::string> cmdline_words(const Config& c);

// The rule for KTSTR_TERM and KTSTR_COLORTERM values: 1-64 characters of [A-Za-z0-9._+-], so a
// terminal name can neither break the cmdline nor reach the shell's environment mangled.
bool valid_term(std::string_view s);

}  // namespace ktstr
