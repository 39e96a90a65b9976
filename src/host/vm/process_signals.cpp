#include "process_signals.hpp"

#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace ktstr::host {

ProcessSignals::ProcessSignals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGWINCH}) sigaddset(&set, sig);
  signal(SIGPIPE, SIG_IGN);
  pthread_sigmask(SIG_BLOCK, &set, &old_mask_);
  fd_ = UniqueFd(signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!fd_.valid()) {
    int err = errno;
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
    throw std::runtime_error(std::string("signalfd: ") + strerror(err));
  }
}

ProcessSignals::~ProcessSignals() {
  (void)take();  // a signal still queued would otherwise strike once unblocked
  pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

std::vector<int> ProcessSignals::take() {
  std::vector<int> out;
  signalfd_siginfo si;
  while (::read(fd_.get(), &si, sizeof si) == ssize_t(sizeof si)) out.push_back(int(si.ssi_signo));
  return out;
}

}  // namespace ktstr::host
