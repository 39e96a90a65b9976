// The last step before DONE on every path: nothing but PID 1 may still run at reboot.
#pragma once

#include "event_loop.hpp"
#include "reaper.hpp"

namespace ktstr::init {

// SIGKILLs every user process but PID 1 (kernel threads excluded), logging each, then reaps
// them through the loop for at most wait_ms; logs an error if some are still not reaped.
void kill_leftovers(EventLoop& loop, Reaper& reaper, uint64_t wait_ms);

}  // namespace ktstr::init
