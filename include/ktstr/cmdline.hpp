// Kernel cmdline keys (docs/cmdline.md), parsed once into a Config that is passed down.
// Shared by init (which parses /proc/cmdline) and the host (which writes the keys).
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
};

struct CmdlineResult {
  Config config;
  // One line per bad or unknown KTSTR_* value: "KTSTR_TIMEOUT=abc: not a number, using 0".
  std::vector<std::string> warnings;
};

// Parses the kernel command line text (as in /proc/cmdline). Never fails: bad values keep the
// default and add a warning; keys without the KTSTR_ prefix are ignored.
CmdlineResult parse_cmdline(std::string_view text);

}  // namespace ktstr
