#include "spawn.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ktstr/exit_codes.hpp"

namespace ktstr::init {
namespace {

// --- child side: each step is async-signal-safe ---------------------------------------------

void child_isolate(const SpawnSpec& spec) {
  if (spec.new_session) {
    setsid();  // also a new process group
    if (spec.ctty_fd >= 0) ioctl(spec.ctty_fd, TIOCSCTTY, 0);
  } else if (spec.new_process_group) {
    setpgid(0, 0);
  }
}

void child_redirect(int in, int out, int err) {
  int devnull = ::open("/dev/null", O_RDWR);
  dup2(in >= 0 ? in : devnull >= 0 ? devnull : 0, 0);
  dup2(out >= 0 ? out : devnull, 1);
  dup2(err >= 0 ? err : devnull, 2);
  if (devnull > 2) ::close(devnull);
}

void child_restore_signals(const sigset_t* mask) {
  // Handlers become SIG_DFL at exec by themselves; only the blocked mask is inherited.
  sigset_t empty;
  sigemptyset(&empty);
  sigprocmask(SIG_SETMASK, mask ? mask : &empty, nullptr);
}

// Core dumps (into $KTSTR_OUTPUT/cores) for every child; PID 1's own limit stays as it was.
void child_allow_core() {
  rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
  setrlimit(RLIMIT_CORE, &unlimited);
}

[[noreturn]] void child_exec(char* const* argv, int err_fd) {
  execvp(argv[0], argv);
  int err = errno;
  (void)!::write(err_fd, &err, sizeof err);
  _exit(exec_errno_to_code(err));
}

}  // namespace

int exec_errno_to_code(int err) { return exit_code::for_exec_errno(err); }

bool make_pipe(UniqueFd& read_end, UniqueFd& write_end) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return false;
  read_end.reset(fds[0]);
  write_end.reset(fds[1]);
  fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  return true;
}

SpawnResult spawn(const SpawnSpec& spec) {
  SpawnResult r;
  if (spec.argv.empty()) {
    r.error = "empty argv";
    return r;
  }
  // Everything the child needs is prepared before fork.
  std::vector<char*> argv;
  for (const std::string& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int errp[2];
  if (pipe2(errp, O_CLOEXEC) != 0) {
    r.error = errno_message("pipe2", errno);
    return r;
  }
  UniqueFd err_read(errp[0]), err_write(errp[1]);

  pid_t pid = fork();
  if (pid < 0) {
    r.error = errno_message("fork", errno);
    return r;
  }
  if (pid == 0) {
    child_isolate(spec);
    child_redirect(spec.stdin_fd, spec.stdout_fd, spec.stderr_fd);
    child_restore_signals(spec.mask);
    child_allow_core();
    child_exec(argv.data(), err_write.get());
  }
  // Also set the group from the parent: whichever runs first, the group exists before we signal it.
  if (spec.new_process_group && !spec.new_session) setpgid(pid, pid);
  r.pid = pid;
  err_write.reset();
  int err = 0;
  ssize_t n;
  do n = ::read(err_read.get(), &err, sizeof err);
  while (n < 0 && errno == EINTR);
  if (n == sizeof err) {
    r.exec_errno = err;
    r.error = errno_message("exec " + spec.argv[0], err);
  }
  return r;
}

}  // namespace ktstr::init
