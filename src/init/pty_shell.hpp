// The interactive shell (docs/architecture.md): a login shell leading its own session with a PTY slave
// as controlling terminal (so job control and Ctrl-C work), and two relays between the PTY
// master and the console. The reaper reports the shell's exit; the kernel sends SIGWINCH.
#pragma once

#include <memory>
#include <string>

#include "event_loop.hpp"
#include "reaper.hpp"
#include "relay.hpp"

namespace ktstr::init {

class PtyShell {
 public:
  PtyShell(EventLoop& loop, Reaper& reaper) : loop_(loop), reaper_(reaper) {}

  // openpty with the given size (0 = unknown, left unset), starts `/bin/sh -l` on the slave and
  // relays between the master and console_fd (not owned, non-blocking). Returns false with
  // `error` (the failed call and errno) if the PTY or the shell could not be set up.
  [[nodiscard]] bool start(int console_fd, uint16_t cols, uint16_t rows, std::string& error);
  bool exited() const { return exited_; }
  const ExitStatus& status() const { return status_; }
  // TIOCSWINSZ on the master: the kernel sends SIGWINCH to the foreground process group.
  void resize(uint16_t cols, uint16_t rows);
  // SIGHUP to the shell's session, as when a terminal goes away (host STOP).
  void hang_up();
  // After the shell exited: relays its remaining output until the master has no writer left, or
  // idle_ms pass without output (a background job still holds the PTY), or deadline_ns.
  void drain(uint32_t idle_ms, uint64_t deadline_ns);

 private:
  EventLoop& loop_;
  Reaper& reaper_;
  UniqueFd master_, master_out_, console_out_;
  std::unique_ptr<Relay> to_shell_, from_shell_;
  pid_t pid_ = -1;
  bool exited_ = false;
  ExitStatus status_;
};

}  // namespace ktstr::init
