// The QEMU child of one VM session, owned: whatever path leaves the owner's scope (return,
// exception), the destructor kills and reaps it, so no QEMU outlives its session.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "ktstr/posix_io.hpp"

namespace ktstr::host {

class QemuProcess {
 public:
  QemuProcess() = default;
  ~QemuProcess();
  QemuProcess(const QemuProcess&) = delete;
  QemuProcess& operator=(const QemuProcess&) = delete;

  // Starts argv in its own process group (terminal signals reach ktstr-vm, not QEMU) with
  // stdin/stdout on /dev/null, stderr on a new pipe and the signal mask `child_mask`. It gets
  // SIGKILL when the thread that started it ends (PR_SET_PDEATHSIG), so even a kill -9 of
  // ktstr-vm leaves no QEMU behind: start it from the thread that polls it. Throws
  // std::runtime_error if the pipe, fork or pidfd_open fails (QEMU is then killed and reaped);
  // an exec failure shows as exit 127 with the reason on its stderr. May be called again once the
  // previous child is reaped.
  void start(const std::vector<std::string>& argv, const sigset_t& child_mask);

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0 && !exited_; }
  bool exited() const { return exited_; }
  // waitpid status once exited.
  int wait_status() const { return status_; }
  // Readable when QEMU has exited; -1 once reaped.
  int pidfd() const { return exited_ ? -1 : pidfd_.get(); }
  // The read end of QEMU's stderr (-1 once closed).
  int stderr_fd() const { return stderr_.get(); }
  void close_stderr() { stderr_.reset(); }

  // SIGKILL, if it still runs.
  void kill();
  // Reaps it (call when pidfd() is readable, or after kill()). Blocks until it has exited.
  void reap();

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
  int status_ = 0;
  UniqueFd pidfd_, stderr_;
};

}  // namespace ktstr::host
