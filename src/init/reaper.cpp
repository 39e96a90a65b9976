#include "reaper.hpp"

#include <sys/signalfd.h>
#include <sys/wait.h>

#include <spdlog/spdlog.h>

namespace ktstr::init {

std::string ExitStatus::json_fields() const {
  if (signaled)
    return "\"signal\":" + std::to_string(signal) + ",\"core\":" + (core ? "true" : "false");
  return "\"code\":" + std::to_string(code);
}

ExitStatus convert_wait_status(int status) {
  ExitStatus s;
  if (WIFEXITED(status)) {
    s.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    s.signaled = true;
    s.signal = WTERMSIG(status);
    s.core = WCOREDUMP(status);
  } else {
    // waitpid without WUNTRACED/WCONTINUED reports only exits and signals; say so if not.
    spdlog::error("unexpected wait status {:#x}", status);
    s.code = 255;
  }
  return s;
}

bool Reaper::start(EventLoop& loop, std::string& error) {
  sigset_t set;
  sigemptyset(&set);
  // SIGINT: the kernel's Ctrl-Alt-Del; SIGTERM/SIGHUP: nobody should stop PID 1 that way.
  for (int sig : {SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGPIPE}) sigaddset(&set, sig);
  if (sigprocmask(SIG_BLOCK, &set, &saved_mask_) != 0) {
    error = errno_message("sigprocmask SIG_BLOCK", errno);
    return false;
  }
  sigdelset(&set, SIGPIPE);  // stays blocked: a write to a closed pipe returns EPIPE instead
  sfd_.reset(signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!sfd_.valid()) {
    error = errno_message("signalfd for SIGCHLD", errno);
    return false;
  }
  int fd = sfd_.get();
  loop.add(fd, EPOLLIN, [this, fd](uint32_t) {
    signalfd_siginfo si;
    while (::read(fd, &si, sizeof si) == sizeof si) {
      if (si.ssi_signo != SIGCHLD) spdlog::info("ignoring signal {} sent to init", si.ssi_signo);
    }
    reap();
  }, EventLoop::Priority::urgent);
  return true;
}

void Reaper::watch(pid_t pid, std::string role, OnExit on_exit) {
  roles_[pid] = Entry{std::move(role), std::move(on_exit)};
}

bool Reaper::has_children() {
  reap();
  siginfo_t si{};
  // WNOWAIT: only look; ECHILD means nothing is left anywhere (PID 1 inherits every orphan).
  return waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == 0;
}

void Reaper::reap() {
  for (;;) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid == 0) return;
    if (pid < 0) {
      if (errno == EINTR) continue;
      if (errno != ECHILD) spdlog::error("{}", errno_message("waitpid", errno));
      return;
    }
    ExitStatus s = convert_wait_status(status);
    auto it = roles_.find(pid);
    if (it == roles_.end()) {
      spdlog::debug("reaped orphan pid {} ({})", pid, s.json_fields());
      continue;
    }
    Entry e = std::move(it->second);
    roles_.erase(it);
    spdlog::debug("reaped {} pid {} ({})", e.role, pid, s.json_fields());
    if (e.on_exit) e.on_exit(pid, s);
  }
}

}  // namespace ktstr::init
