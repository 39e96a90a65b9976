// Starting children: fork, a few named steps in the child (async-signal-safe only), exec.
// Exec failures are reported through a close-on-exec pipe, so the parent knows for sure whether
// the program ran (127 not found, 126 not executable, as a shell would say).
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "fd.hpp"

namespace ktstr::init {

struct SpawnSpec {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH unless it contains a '/'
  bool new_process_group = false; // payload: its own group, so TERM/KILL reach its children
  int stdout_fd = -1;             // -1: /dev/null
  int stderr_fd = -1;             // -1: /dev/null
  const sigset_t* mask = nullptr; // signal mask to restore before exec
  int stdin_fd = -1;              // -1: /dev/null
  bool new_session = false;       // setsid(): the child leads its own session (shells, exec mode)
  int ctty_fd = -1;               // with new_session: this tty becomes its controlling terminal
                                  // (TIOCSCTTY), so the shell gets job control on it
};

struct SpawnResult {
  pid_t pid = -1;      // -1 if fork failed
  int exec_errno = 0;  // non-zero if exec failed (the child has exited with 126/127)
  std::string error;   // message when pid == -1 or exec_errno != 0
};

[[nodiscard]] SpawnResult spawn(const SpawnSpec& spec);

// The exit code a shell gives for an exec errno: 127 for ENOENT/ENOTDIR, 126 otherwise.
int exec_errno_to_code(int err);

// A pipe whose read end is non-blocking and close-on-exec on both ends.
[[nodiscard]] bool make_pipe(UniqueFd& read_end, UniqueFd& write_end);

}  // namespace ktstr::init
