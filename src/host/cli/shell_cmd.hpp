// `ktstr-vm shell` (docs/architecture.md): an interactive shell in the VM on the host's terminal
// (raw mode, Ctrl-A X quits, resizes follow the window), or one command with --exec whose output
// arrives byte-exact on stdout and whose status becomes ktstr-vm's.
#pragma once

#include "session_options.hpp"

namespace ktstr::host {

// Boots the VM in shell mode; opts.pack.exec_cmd non-empty selects exec mode. Returns the exit
// status: the shell's or command's own (DONE's exit_code), 125 with the reason on stderr when the
// VM failed around it (as `run`), 128+N after signal N, 137 after Ctrl-A X. Throws
// std::runtime_error for set-up errors (no kernel, packing failed, sockets).
int shell_command(const RunOptions& opts);

}  // namespace ktstr::host
