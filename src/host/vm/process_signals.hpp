// The process's signals, owned in one place for every VM session it drives: SIGINT, SIGTERM,
// SIGHUP and SIGWINCH are blocked and read from one signalfd, and the session loop hands each
// one to every session. Sessions themselves touch no process-wide signal state.
#pragma once

#include <signal.h>

#include <vector>

#include "ktstr/posix_io.hpp"

namespace ktstr::host {

class ProcessSignals {
 public:
  // Blocks the signals in the calling thread (threads started later inherit that) and ignores
  // SIGPIPE for the rest of the process: a reader that closes early gives EPIPE, not death.
  // Throws std::runtime_error if the signalfd cannot be made.
  ProcessSignals();
  // Drops signals still queued, then restores the signal mask.
  ~ProcessSignals();
  ProcessSignals(const ProcessSignals&) = delete;
  ProcessSignals& operator=(const ProcessSignals&) = delete;

  // Non-blocking signalfd; readable when a signal is queued.
  int fd() const { return fd_.get(); }
  // The signals queued now, in arrival order.
  std::vector<int> take();
  // The mask before: children (QEMU) start with it.
  const sigset_t& child_mask() const { return old_mask_; }

 private:
  sigset_t old_mask_{};
  UniqueFd fd_;
};

}  // namespace ktstr::host
