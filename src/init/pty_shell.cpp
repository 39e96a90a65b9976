#include "pty_shell.hpp"

#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>

#include <spdlog/spdlog.h>

#include "spawn.hpp"

namespace ktstr::init {
namespace {

// A login shell reads /etc/profile and ~/.profile when they exist; busybox ash is /bin/sh.
const std::vector<std::string> kShellArgv = {"/bin/sh", "-l"};
// Shows where the developer is; ash expands \w and \$ itself.
constexpr const char* kPrompt = "ktstr:\\w\\$ ";

bool set_flags(int fd, int fd_flags, int fl_flags) {
  return fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | fd_flags) == 0 &&
         fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | fl_flags) == 0;
}

}  // namespace

bool PtyShell::start(int console_fd, uint16_t cols, uint16_t rows, std::string& error) {
  int m, s;
  winsize ws{};
  ws.ws_col = cols;
  ws.ws_row = rows;
  if (openpty(&m, &s, nullptr, nullptr, cols && rows ? &ws : nullptr) != 0) {
    error = errno_message("openpty", errno);
    return false;
  }
  master_.reset(m);
  UniqueFd slave(s);
  // Close-on-exec: the scheduler and other children must not hold the PTY open.
  if (!set_flags(m, FD_CLOEXEC, O_NONBLOCK) || !set_flags(s, FD_CLOEXEC, 0)) {
    error = errno_message("fcntl on the PTY", errno);
    return false;
  }
  // Each relay needs its own fd number for the PTY master and for the console.
  master_out_.reset(fcntl(m, F_DUPFD_CLOEXEC, 3));
  console_out_.reset(fcntl(console_fd, F_DUPFD_CLOEXEC, 3));
  if (!master_out_.valid() || !console_out_.valid()) {
    error = errno_message("dup", errno);
    return false;
  }

  ::setenv("PS1", kPrompt, 0);
  SpawnSpec spec{kShellArgv, false, s, s, &reaper_.child_mask()};
  spec.stdin_fd = s;
  spec.new_session = true;
  spec.ctty_fd = s;
  SpawnResult r = spawn(spec);
  if (r.pid < 0) {
    error = "shell: " + r.error;
    return false;
  }
  pid_ = r.pid;
  reaper_.watch(pid_, "shell", [this](pid_t, const ExitStatus& st) {
    exited_ = true;
    status_ = st;
  });
  if (r.exec_errno) spdlog::error("shell: {}", r.error);  // its exit (126/127) ends the session
  slave.reset();  // from now on only the shell's session holds the slave: EIO on the master = all gone

  to_shell_ = std::make_unique<Relay>(loop_, console_fd, master_out_.get());
  from_shell_ = std::make_unique<Relay>(loop_, master_.get(), console_out_.get());
  return true;
}

void PtyShell::resize(uint16_t cols, uint16_t rows) {
  winsize ws{};
  ws.ws_col = cols;
  ws.ws_row = rows;
  if (master_.valid() && ioctl(master_.get(), TIOCSWINSZ, &ws) != 0)
    spdlog::warn("{}", errno_message("TIOCSWINSZ on the PTY", errno));
}

void PtyShell::hang_up() {
  if (pid_ > 0 && !exited_) ::kill(-pid_, SIGHUP);  // the shell leads its session and group
}

void PtyShell::drain(uint32_t idle_ms, uint64_t deadline_ns) {
  to_shell_.reset();  // nobody reads keyboard input any more
  if (!from_shell_) return;
  const uint64_t idle_ns = uint64_t(idle_ms) * 1000000ull;
  Timer tick;  // wakes the loop so that idleness is noticed without output
  if (std::string err; tick.create(loop_, [] {}, err))
    tick.arm_in_ms(idle_ms / 4 + 1, idle_ms / 4 + 1);
  else
    spdlog::warn("shell output drain waits for its deadline: {}", err);
  loop_.run_until([&] { return from_shell_->closed() || boottime_ns() - from_shell_->last_activity_ns() > idle_ns; },
                  deadline_ns);
  from_shell_.reset();
}

}  // namespace ktstr::init
