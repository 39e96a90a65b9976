#include "qemu_process.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace ktstr::host {

QemuProcess::~QemuProcess() {
  kill();
  if (pid_ > 0 && !exited_) reap();
}

void QemuProcess::start(const std::vector<std::string>& argv, const sigset_t& child_mask) {
  // Again after a reaped one (a warm start that fell back to a cold boot): a fresh child.
  pid_ = -1;
  exited_ = false;
  status_ = 0;
  std::vector<char*> a;
  for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
  a.push_back(nullptr);
  int err[2];
  if (pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + strerror(errno));
  stderr_ = UniqueFd(err[0]);
  UniqueFd stderr_write(err[1]);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    // QEMU dies with ktstr-vm, even by kill -9 (no destructor runs then). The parent may have
    // died before prctl: then this child already belongs to another.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    int null = ::open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(stderr_write.get(), 2);
    signal(SIGPIPE, SIG_DFL);  // ktstr-vm ignores it; an ignored signal would stay so across exec
    sigprocmask(SIG_SETMASK, &child_mask, nullptr);
    setpgid(0, 0);  // Ctrl-C on the terminal goes to ktstr-vm; it ends QEMU itself
    execvp(a[0], a.data());
    dprintf(2, "exec %s: %s\n", a[0], strerror(errno));
    _exit(127);
  }
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + strerror(errno));
  pid_ = pid;
  // Without a pidfd the session could never see QEMU exit: kill it and say why.
  pidfd_ = UniqueFd(int(syscall(SYS_pidfd_open, pid_, 0)));
  if (!pidfd_.valid()) {
    int saved = errno;
    kill();
    reap();
    throw std::runtime_error("pidfd_open(QEMU, pid " + std::to_string(pid) + "): " + strerror(saved) +
                             " (Linux 5.3 or later is needed)");
  }
}

void QemuProcess::kill() {
  if (running()) ::kill(pid_, SIGKILL);
}

void QemuProcess::reap() {
  if (pid_ <= 0 || exited_) return;
  while (waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
  }
  exited_ = true;
  pidfd_.reset();
}

}  // namespace ktstr::host
