#include "session_loop.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace ktstr::host {

void poll_round(const std::vector<VmSession*>& sessions, ProcessSignals& signals,
                const std::function<void(int)>& on_signal) {
  std::vector<Watch> watches;
  watches.push_back({signals.fd(), POLLIN, [&](short) {
                       for (int signo : signals.take()) on_signal(signo);
                     }});
  int timeout = 500;
  for (VmSession* s : sessions) {
    if (s->finished()) continue;
    s->watches(watches);
    timeout = std::min(timeout, s->poll_timeout_ms());
  }
  std::vector<pollfd> fds;
  for (const Watch& w : watches) fds.push_back({w.fd, w.events, 0});
  int rc = ::poll(fds.data(), fds.size(), timeout);
  if (rc < 0 && errno != EINTR) throw std::runtime_error("poll: " + std::string(strerror(errno)));
  for (size_t i = 0; rc > 0 && i < fds.size(); ++i)
    if (fds[i].revents) watches[i].on_ready(fds[i].revents);
  for (VmSession* s : sessions)
    if (!s->finished()) s->tick();
}

void run_sessions(const std::vector<VmSession*>& sessions, ProcessSignals& signals) {
  auto running = [&] { return std::any_of(sessions.begin(), sessions.end(), [](auto* s) { return !s->finished(); }); };
  while (running())
    poll_round(sessions, signals, [&](int signo) {
      for (VmSession* s : sessions)
        if (!s->finished()) s->on_signal(signo);
    });
}

int run_one_session(const RunOptions& opts, VmMode mode) {
  ProcessSignals signals;
  VmSession session(opts, mode);
  session.prepare();
  session.launch(signals.child_mask());
  run_sessions({&session}, signals);
  return session.finish().verdict.exit_code;
}

}  // namespace ktstr::host
