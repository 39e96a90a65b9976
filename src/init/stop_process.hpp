// Ending a child that should go: a polite signal, a grace on the event loop, then SIGKILL and a
// bounded wait. One procedure for the scheduler (SIGINT, so it writes its exit report), the
// payload and the exec command (SIGTERM to their process group).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string_view>

#include "event_loop.hpp"

namespace ktstr::init {

// How long a SIGKILLed child may take to be reaped before init gives up waiting for it.
inline constexpr uint32_t kKillReapMs = 2000;

// Sends `first` to `target` (a pid, or -pgid for a whole group) and runs the loop until gone()
// or grace_ms pass; then SIGKILL and up to kKillReapMs more. `who` names the child in the log.
// Returns true if gone() holds at the end.
bool stop_process(EventLoop& loop, pid_t target, int first, uint32_t grace_ms, const std::function<bool()>& gone,
                  std::string_view who);

}  // namespace ktstr::init
