// The one poll loop that drives any number of VM sessions in one thread: the process's signals
// (ProcessSignals) go to every session, each session's fds to its own handlers.
#pragma once

#include <functional>
#include <vector>

#include "process_signals.hpp"
#include "vm_session.hpp"

namespace ktstr::host {

// One round: waits until a session's fd is ready, a signal arrives or the nearest session timer is
// due, runs the ready handlers, hands each signal to `on_signal`, then ticks every running
// session. For callers that add and remove sessions between rounds (the suite).
void poll_round(const std::vector<VmSession*>& sessions, ProcessSignals& signals,
                const std::function<void(int)>& on_signal);

// Runs until every session has finished. A handler's exception leaves the loop; the sessions'
// owners then kill their QEMU.
void run_sessions(const std::vector<VmSession*>& sessions, ProcessSignals& signals);

// One session with the process's signals to itself: prepare, launch, run, finish. Returns its
// exit status; throws std::runtime_error for set-up errors.
int run_one_session(const RunOptions& opts, VmMode mode);

}  // namespace ktstr::host
