// The one reaper (docs/architecture.md): SIGCHLD arrives through a signalfd on the event loop; every
// child is reaped with waitpid(-1, WNOHANG) until none is left, and looked up in a pid->role
// table. SIGCHLD is never ignored, so real wait statuses reach the reports.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <functional>
#include <string>
#include <unordered_map>

#include "event_loop.hpp"
#include "ktstr/exit_codes.hpp"

namespace ktstr::init {

// A wait status in the terms the frames use.
struct ExitStatus {
  bool signaled = false;
  int code = 0;    // exit code, if !signaled
  int signal = 0;  // terminating signal, if signaled
  bool core = false;
  // The shell convention: code, or 128 + signal.
  int exit_code() const { return signaled ? exit_code::for_signal(signal) : code; }
  // JSON object fields for EXIT / SCHD: {"code":N} or {"signal":N,"core":b}.
  std::string json_fields() const;
};
ExitStatus convert_wait_status(int status);

class Reaper {
 public:
  using OnExit = std::function<void(pid_t, const ExitStatus&)>;

  // Blocks SIGCHLD (and the signals PID 1 receives from the kernel) and keeps the previous mask
  // for children; registers the signalfd with the loop. False with `error` naming the call.
  [[nodiscard]] bool start(EventLoop& loop, std::string& error);
  // The signal mask to restore in a child between fork and exec.
  const sigset_t& child_mask() const { return saved_mask_; }

  // Registers a child: on_exit runs once when it is reaped. Unregistered pids are orphans.
  void watch(pid_t pid, std::string role, OnExit on_exit);
  bool alive(pid_t pid) const { return roles_.count(pid) != 0; }
  // Reaps everything that has exited now (also called from the signalfd handler).
  void reap();
  // Reaps, then says whether any child (registered or orphan) is still alive.
  bool has_children();

 private:
  struct Entry {
    std::string role;
    OnExit on_exit;
  };
  UniqueFd sfd_;
  sigset_t saved_mask_{};
  std::unordered_map<pid_t, Entry> roles_;
};

}  // namespace ktstr::init
