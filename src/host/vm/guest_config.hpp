// What the guest is told on its kernel cmdline (docs/cmdline.md): the one place the host fills
// init's Config, from a session's options and the host terminal. The words themselves come from
// ktstr::cmdline_words (src/common/cmdline.cpp), beside the parser that reads them back.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ktstr/cmdline.hpp"
#include "session_options.hpp"

namespace ktstr::host {

// The host terminal as the guest's shell should see it: the window's size (0 = unknown) and
// $TERM / $COLORTERM (empty = unset).
struct HostTerminal {
  uint16_t cols = 0, rows = 0;
  std::string term, colorterm;
};

// The host terminal of a session: the size of `in_fd`'s window in the interactive shell only,
// TERM and COLORTERM from the environment.
HostTerminal host_terminal(VmMode mode, int in_fd);

// The Config init gets: KTSTR_TOPO from the VM's shape; shell mode, the terminal's size (both
// known, or neither) and names (when valid_term accepts them, else init's defaults) outside
// `run`; the timeout, log level, attach timeout, telemetry settings, the suite's attempt and,
// when the session takes an output tree (--output), its limit.
Config guest_config(const RunOptions& o, VmMode mode, const HostTerminal& terminal);

// The KTSTR_* words of a session's cmdline: cmdline_words(guest_config(...)), then the test
// hook's raw --guest-key words, so that one of those wins over ours.
std::vector<std::string> guest_cmdline_words(const RunOptions& o, VmMode mode, const HostTerminal& terminal);

}  // namespace ktstr::host
